using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace TaskService.Api.FunctionalTests.Support;

/// <summary>One service per fixture and store; each test makes its own uniquely named tasks.</summary>
[TestFixture("Mongo")]
[TestFixture("Sqlite")]
public abstract class ApiTestBase(string provider)
{
    protected TaskServiceFactory Factory { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected string Provider { get; } = provider;

    [OneTimeSetUp]
    public async Task StartServiceAsync()
    {
        Factory = await TaskServiceFactory.CreateAsync(Provider);
        Client = Factory.CreateAuthorizedClient();
    }

    [OneTimeTearDown]
    public async Task StopServiceAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }

    protected static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    protected static string UniqueName(string prefix = "task") => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A valid create body; tests change or remove what they need.</summary>
    protected static JsonObject NewTask(string? name = null, string type = "test-type", int priority = 5, string data = """{"k":1}""") => new()
    {
        ["name"] = name ?? UniqueName(),
        ["type"] = type,
        ["priority"] = priority,
        ["data"] = JsonNode.Parse(data),
        ["availableTime"] = Time(DateTime.UtcNow.AddMinutes(-1)),
        ["expirationTime"] = Time(DateTime.UtcNow.AddDays(1)),
    };

    protected static JsonObject UpdateBody(int priority = 7, string data = """{"updated":true}""", DateTime? availableTime = null, DateTime? expirationTime = null) => new()
    {
        ["priority"] = priority,
        ["data"] = JsonNode.Parse(data),
        ["availableTime"] = Time(availableTime ?? DateTime.UtcNow.AddMinutes(5)),
        ["expirationTime"] = Time(expirationTime ?? DateTime.UtcNow.AddDays(2)),
    };

    protected Task<HttpResponseMessage> PostAsync(JsonNode body) => SendJsonAsync(HttpMethod.Post, "/v1/tasks", body.ToJsonString());

    protected Task<HttpResponseMessage> PutAsync(string id, JsonNode body) => SendJsonAsync(HttpMethod.Put, $"/v1/tasks/{id}", body.ToJsonString());

    protected Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, string json) =>
        Client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    protected async Task<JsonObject> CreateTaskAsync(JsonObject? body = null)
    {
        using var response = await PostAsync(body ?? NewTask());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    protected async Task<JsonObject> GetTaskAsync(string id)
    {
        using var response = await Client.GetAsync($"/v1/tasks/{id}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    protected static Task<JsonObject> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? source = null) =>
        ApiAssert.ErrorAsync(response, status, source);
}
