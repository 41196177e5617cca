using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TaskService.Api.FunctionalTests.Support;
using TaskService.Application.Common.Interfaces;
using TaskService.Domain.Tasks;

namespace TaskService.Api.FunctionalTests;

public sealed class ErrorHandlingTests(string provider) : ApiTestBase(provider)
{
    [TestCase("GET", "/v1/nothing")]
    [TestCase("GET", "/v2/tasks")]
    [TestCase("GET", "/v1/tasks/0123456789abcdef0123456789abcdef/children")]
    public async Task UnknownRoute_Returns404WithErrorBody(string method, string path)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertErrorAsync(response, HttpStatusCode.NotFound);
    }

    [TestCase("PATCH", "/v1/tasks/0123456789abcdef0123456789abcdef")]
    [TestCase("DELETE", "/v1/tasks")]
    [TestCase("PUT", "/v1/tasks")]
    public async Task UnsupportedMethod_Returns405WithErrorBody(string method, string path)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertErrorAsync(response, HttpStatusCode.MethodNotAllowed);
    }

    [Test]
    public async Task EveryResponse_CarriesATraceIdHeader()
    {
        using var response = await Client.GetAsync("/v1/tasks");
        Assert.That(response.Headers.GetValues("X-Trace-Id").Single(), Does.Match("^[0-9a-f]{32}$"));
    }

    [Test]
    public async Task UnexpectedFailure_Returns500WithoutInternalsAndWithTheTraceId()
    {
        await using var factory = await TaskServiceFactory.CreateAsync(Provider, configureServices: services =>
            services.Replace(ServiceDescriptor.Singleton<ITaskQueries, ExplodingQueries>()));
        using var client = factory.CreateAuthorizedClient();

        using var response = await client.GetAsync("/v1/tasks");

        var body = await AssertErrorAsync(response, HttpStatusCode.InternalServerError);
        var text = body.ToJsonString();
        Assert.That(text, Does.Not.Contain(ExplodingQueries.Secret).And.Not.Contain("at TaskService").And.Not.Contain("Exception"));
        Assert.That(body["traceId"]!.GetValue<string>(), Is.EqualTo(response.Headers.GetValues("X-Trace-Id").Single()));
    }

    private sealed class ExplodingQueries : ITaskQueries
    {
        public const string Secret = "mongodb://admin:hunter2@db-internal";

        public Task<IReadOnlyList<BackgroundTask>> ListAsync(TaskListFilter filter, int page, int size, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"Driver exploded talking to {Secret}");
    }
}
