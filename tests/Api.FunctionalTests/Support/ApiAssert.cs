using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TaskService.Api.FunctionalTests.Support;

public static class ApiAssert
{
    /// <summary>Asserts the status and the contract's error body, and returns the body.</summary>
    public static async Task<JsonObject> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? source = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), text);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.That(body["code"]!.GetValueKind(), Is.EqualTo(JsonValueKind.Number), text);
        Assert.That(body["code"]!.GetValue<int>(), Is.EqualTo((int)status), text);
        Assert.That(body["message"]!.GetValue<string>(), Is.Not.Empty, text);
        if (source is not null)
        {
            var sources = body["errors"]?.AsArray().Select(error => error!["source"]!.GetValue<string>()).ToList() ?? [];
            Assert.That(sources, Does.Contain(source), text);
        }

        return body;
    }
}
