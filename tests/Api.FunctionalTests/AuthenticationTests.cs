using System.Net;
using TaskService.Api.FunctionalTests.Support;

namespace TaskService.Api.FunctionalTests;

public sealed class AuthenticationTests(string provider) : ApiTestBase(provider)
{
    private HttpClient _anonymous = null!;

    [SetUp]
    public void CreateAnonymousClient() => _anonymous = Factory.CreateClient();

    [TearDown]
    public void DisposeAnonymousClient() => _anonymous.Dispose();

    [TestCase("GET", "/v1/tasks")]
    [TestCase("POST", "/v1/tasks")]
    [TestCase("GET", "/v1/tasks/0123456789abcdef0123456789abcdef")]
    [TestCase("PUT", "/v1/tasks/0123456789abcdef0123456789abcdef")]
    [TestCase("DELETE", "/v1/tasks/0123456789abcdef0123456789abcdef")]
    public async Task EveryRoute_WhenNoCredential_Returns401WithErrorBody(string method, string path)
    {
        using var response = await _anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
    }

    [TestCase("X-Tidepool-Session-Token", "not-a-token")]
    [TestCase("X-Tidepool-Session-Token", "")]
    [TestCase("X-Tidepool-Session-Token", "test-server-token ")]
    [TestCase("X-Tidepool-Service-Secret", "wrong-secret")]
    [TestCase("X-Tidepool-Service-Secret", "")]
    [TestCase("X-Tidepool-Service-Secret", TaskServiceFactory.ServerToken)]
    public async Task List_WhenCredentialUnknownOrEmpty_Returns401(string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tasks");
        request.Headers.TryAddWithoutValidation(header, value);
        using var response = await _anonymous.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task List_WhenTokenHeaderRepeated_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tasks");
        request.Headers.TryAddWithoutValidation("X-Tidepool-Session-Token", [TaskServiceFactory.ServerToken, TaskServiceFactory.ServerToken]);
        using var response = await _anonymous.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task List_WhenOneOfTwoCredentialsIsWrong_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tasks");
        request.Headers.Add("X-Tidepool-Session-Token", TaskServiceFactory.ServerToken);
        request.Headers.Add("X-Tidepool-Service-Secret", "wrong");
        using var response = await _anonymous.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
    }

    [TestCase("X-Tidepool-Session-Token", TaskServiceFactory.ServerToken)]
    [TestCase("X-Tidepool-Session-Token", TaskServiceFactory.SecondServerToken)]
    [TestCase("X-Tidepool-Service-Secret", TaskServiceFactory.ServiceSecret)]
    public async Task List_WhenCredentialConfigured_Returns200(string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tasks");
        request.Headers.Add(header, value);
        using var response = await _anonymous.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Create_WhenUnauthenticated_StoresNothing()
    {
        var body = NewTask();
        using var response = await _anonymous.PostAsync("/v1/tasks", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized);
        using var list = await Client.GetAsync($"/v1/tasks?name={body["name"]}");
        Assert.That(await list.Content.ReadAsStringAsync(), Is.EqualTo("[]"));
    }

    [Test]
    public async Task Startup_OutsideDevelopmentWithoutCredentials_FailsNamingTheSetting()
    {
        await using var factory = await TaskServiceFactory.CreateAsync(Provider, new Dictionary<string, string?>
        {
            ["Auth:ServerTokens:0"] = "",
            ["Auth:ServerTokens:1"] = "",
            ["Auth:ServiceSecret"] = "",
        }, environment: "Production");
        var exception = Assert.Catch(() => factory.CreateClient());
        Assert.That(exception!.ToString(), Does.Contain("Auth:ServerTokens").And.Contain("Auth:ServiceSecret"));
    }
}
