using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TaskService.Api.FunctionalTests.Support;

namespace TaskService.Api.FunctionalTests;

public sealed partial class CreateTaskTests(string provider) : ApiTestBase(provider)
{
    [Test]
    public async Task Create_WhenValid_Returns200WithThePendingTask()
    {
        var body = NewTask(priority: 0);
        var before = DateTime.UtcNow.AddMilliseconds(-1);
        using var response = await PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var task = JsonNode.Parse(text)!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(task["id"]!.GetValue<string>(), Does.Match("^[0-9a-f]{32}$"));
            Assert.That(task["name"]!.GetValue<string>(), Is.EqualTo(body["name"]!.GetValue<string>()));
            Assert.That(task["type"]!.GetValue<string>(), Is.EqualTo("test-type"));
            Assert.That(task["priority"]!.GetValue<int>(), Is.Zero, "priority 0 is present, not omitted");
            Assert.That(task["data"]!.ToJsonString(), Is.EqualTo("""{"k":1}"""));
            Assert.That(task["availableTime"]!.GetValue<string>(), Is.EqualTo(body["availableTime"]!.GetValue<string>()));
            Assert.That(task["expirationTime"]!.GetValue<string>(), Is.EqualTo(body["expirationTime"]!.GetValue<string>()));
            Assert.That(task["state"]!.GetValue<string>(), Is.EqualTo("pending"));
            Assert.That(task["createdTime"]!.GetValue<string>(), Is.EqualTo(task["modifiedTime"]!.GetValue<string>()));
            Assert.That(DateTime.Parse(task["createdTime"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.RoundtripKind), Is.GreaterThanOrEqualTo(before));
            Assert.That(task.ContainsKey("error") || task.ContainsKey("runTime") || task.ContainsKey("duration"), Is.False, "fields without a value are omitted");
            Assert.That(text, Does.Not.Contain("null"), "no field is null");
            Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/v1/tasks/{task["id"]}"));
        });
    }

    [Test]
    public async Task Create_ResponseAndLaterRead_AgreeExactly()
    {
        var body = NewTask();
        body["availableTime"] = "2026-01-02T03:04:05.6789+02:00";
        using var response = await PostAsync(body);
        var created = await response.Content.ReadAsStringAsync();
        var id = JsonNode.Parse(created)!["id"]!.GetValue<string>();

        using var read = await Client.GetAsync($"/v1/tasks/{id}");
        Assert.That(await read.Content.ReadAsStringAsync(), Is.EqualTo(created));
        Assert.That(JsonNode.Parse(created)!["availableTime"]!.GetValue<string>(), Is.EqualTo("2026-01-02T01:04:05.678Z"),
            "times come back in UTC with a Z, cut to milliseconds");
    }

    [Test]
    public async Task Create_EveryTime_IsUtcWithMillisecondsAndZ()
    {
        var task = await CreateTaskAsync();
        foreach (var field in new[] { "availableTime", "expirationTime", "createdTime", "modifiedTime" })
        {
            Assert.That(task[field]!.GetValue<string>(), Does.Match(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"), field);
        }
    }

    [Test]
    public async Task Create_TwoTasks_GetDifferentRandomIds()
    {
        var first = await CreateTaskAsync();
        var second = await CreateTaskAsync();
        Assert.That(first["id"]!.GetValue<string>(), Is.Not.EqualTo(second["id"]!.GetValue<string>()));
    }

    [Test]
    public async Task Create_WhenNameTaken_Returns409AndKeepsTheFirst()
    {
        var first = await CreateTaskAsync();
        var duplicate = NewTask(first["name"]!.GetValue<string>(), type: "other-type");

        using var response = await PostAsync(duplicate);

        await AssertErrorAsync(response, HttpStatusCode.Conflict);
        var stored = await Client.GetFromJsonAsync<JsonArray>($"/v1/tasks?name={first["name"]}");
        Assert.That(stored!, Has.Count.EqualTo(1));
        Assert.That(stored![0]!["type"]!.GetValue<string>(), Is.EqualTo("test-type"));
    }

    [TestCase("name")]
    [TestCase("type")]
    [TestCase("priority")]
    [TestCase("data")]
    [TestCase("availableTime")]
    [TestCase("expirationTime")]
    public async Task Create_WhenRequiredPropertyMissing_Returns400NamingIt(string property)
    {
        var body = NewTask();
        body.Remove(property);
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"/{property}");
        await AssertNotStoredAsync(body);
    }

    [TestCase("name")]
    [TestCase("type")]
    [TestCase("priority")]
    [TestCase("data")]
    [TestCase("availableTime")]
    [TestCase("expirationTime")]
    public async Task Create_WhenRequiredPropertyNull_Returns400NamingIt(string property)
    {
        var body = NewTask();
        body[property] = null;
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"/{property}");
    }

    [TestCase("name")]
    [TestCase("type")]
    public async Task Create_WhenTextEmpty_Returns400(string property)
    {
        var body = NewTask();
        body[property] = "";
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"/{property}");
        await AssertNotStoredAsync(body);
    }

    [TestCase("id", "0123456789abcdef0123456789abcdef")]
    [TestCase("state", "completed")]
    [TestCase("error", "boom")]
    [TestCase("createdTime", "2026-01-01T00:00:00Z")]
    [TestCase("Name", "upper-case twin of a known property")]
    [TestCase("attempts", "1")]
    public async Task Create_WhenPropertyNotTaken_Returns400NamingIt(string property, string value)
    {
        var body = NewTask();
        body[property] = value;
        using var response = await PostAsync(body);
        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"/{property}");
        Assert.That(error.ToJsonString(), Does.Contain(property));
        await AssertNotStoredAsync(body);
    }

    [TestCase("-1")]
    [TestCase("2147483648")]
    [TestCase("1.5")]
    [TestCase("\"5\"")]
    [TestCase("true")]
    public async Task Create_WhenPriorityInvalid_Returns400(string priority)
    {
        var body = NewTask();
        body["priority"] = JsonNode.Parse(priority);
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/priority");
        await AssertNotStoredAsync(body);
    }

    [Test]
    public async Task Create_WhenPriorityIsMaximum_Accepts()
    {
        var task = await CreateTaskAsync(NewTask(priority: int.MaxValue));
        Assert.That(task["priority"]!.GetValue<int>(), Is.EqualTo(int.MaxValue));
    }

    [TestCase("[]")]
    [TestCase("\"text\"")]
    [TestCase("42")]
    public async Task Create_WhenDataNotAnObject_Returns400(string data)
    {
        var body = NewTask();
        body["data"] = JsonNode.Parse(data);
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/data");
    }

    [TestCase("2026-01-01T00:00:00")]
    [TestCase("2026-01-01")]
    [TestCase("yesterday")]
    [TestCase("2026-13-01T00:00:00Z")]
    [TestCase("1767225600")]
    public async Task Create_WhenTimeHasNoZoneOrIsNotRfc3339_Returns400(string time)
    {
        var body = NewTask();
        body["availableTime"] = JsonNode.Parse(time.All(char.IsDigit) ? time : $"\"{time}\"");
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/availableTime");
    }

    [Test]
    public async Task Create_WhenExpirationNotAfterAvailable_Returns400()
    {
        var body = NewTask();
        body["availableTime"] = Time(DateTime.UtcNow.AddHours(2));
        body["expirationTime"] = Time(DateTime.UtcNow.AddHours(1));
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/expirationTime");
        await AssertNotStoredAsync(body);
    }

    [Test]
    public async Task Create_WhenExpirationInThePast_Returns400()
    {
        var body = NewTask();
        body["availableTime"] = Time(DateTime.UtcNow.AddHours(-2));
        body["expirationTime"] = Time(DateTime.UtcNow.AddHours(-1));
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/expirationTime");
    }

    [Test]
    public async Task Create_WhenAvailableTimeInThePast_AcceptsItAsNow()
    {
        var body = NewTask();
        body["availableTime"] = "2001-01-01T00:00:00Z";
        var task = await CreateTaskAsync(body);
        Assert.That(task["availableTime"]!.GetValue<string>(), Is.EqualTo("2001-01-01T00:00:00.000Z"));
    }

    [TestCase("")]
    [TestCase("not json")]
    [TestCase("[1,2]")]
    [TestCase("\"a string\"")]
    [TestCase("null")]
    [TestCase("{\"name\": ")]
    public async Task Create_WhenBodyMissingOrNotAJsonObject_Returns400(string json)
    {
        using var response = await SendJsonAsync(HttpMethod.Post, "/v1/tasks", json);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Create_WhenSeveralProblems_ListsEachOne()
    {
        var body = NewTask(priority: -1);
        body["name"] = "";
        body["data"] = new JsonArray();
        using var response = await PostAsync(body);
        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest);
        var sources = error["errors"]!.AsArray().Select(item => item!["source"]!.GetValue<string>());
        Assert.That(sources, Is.SupersetOf(new[] { "/name", "/priority", "/data" }));
    }

    [Test]
    public async Task Create_WhenBodyLargerThanLimit_Returns413AndStoresNothing()
    {
        var body = NewTask();
        body["data"] = new JsonObject { ["blob"] = new string('x', 1024 * 1024) };
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
        await AssertNotStoredAsync(body);
    }

    [Test]
    public async Task Create_WhenChunkedBodyLargerThanLimit_Returns413()
    {
        var body = NewTask();
        body["data"] = new JsonObject { ["blob"] = new string('x', 1024 * 1024) };
        var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString())));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await Client.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Test]
    public async Task Create_WhenBodyJustUnderLimit_Accepts()
    {
        var body = NewTask();
        body["data"] = new JsonObject { ["blob"] = new string('x', 1000 * 1000) };
        var task = await CreateTaskAsync(body);
        Assert.That(task["data"]!["blob"]!.GetValue<string>(), Has.Length.EqualTo(1000 * 1000));
    }

    [Test]
    public async Task Create_WhenNotJsonContentType_ReturnsErrorBody()
    {
        using var response = await Client.PostAsync("/v1/tasks", new StringContent(NewTask().ToJsonString(), System.Text.Encoding.UTF8, "text/plain"));
        await AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    private async Task AssertNotStoredAsync(JsonObject body)
    {
        if (body["name"] is JsonValue name && name.GetValue<string>() is { Length: > 0 } text && !NonAscii().IsMatch(text))
        {
            var stored = await Client.GetFromJsonAsync<JsonArray>($"/v1/tasks?name={Uri.EscapeDataString(text)}");
            Assert.That(stored!, Is.Empty, "a rejected request stores nothing");
        }
    }

    [GeneratedRegex("[^\\x20-\\x7e]")]
    private static partial Regex NonAscii();
}
