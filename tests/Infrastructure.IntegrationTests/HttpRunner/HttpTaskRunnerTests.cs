using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TaskService.Application.Tasks.Execution;
using TaskService.Infrastructure.Runners;

namespace TaskService.Infrastructure.IntegrationTests.HttpRunner;

/// <summary>The HTTP delivery runner against a real Kestrel endpoint, built the way the service builds it.</summary>
[TestFixture]
public sealed class HttpTaskRunnerTests
{
    private const string Type = "deliver";
    private const string Secret = "Bearer s3cr3t-t0ken-value";

    private TestEndpoint _endpoint = null!;

    [OneTimeSetUp]
    public async Task StartEndpointAsync() => _endpoint = await TestEndpoint.StartAsync();

    [OneTimeTearDown]
    public async Task StopEndpointAsync() => await _endpoint.DisposeAsync();

    [Test]
    public async Task RunAsync_WhenEndpointAnswers200_ReturnsCompletedWithoutData()
    {
        var url = _endpoint.Answering(200);

        var outcome = await RunAsync(url);

        Assert.That(outcome, Is.EqualTo(RunOutcome.Completed()));
    }

    [Test]
    public async Task RunAsync_WhenRun_PostsTheTaskAsJsonWithTheConfiguredHeaders()
    {
        var url = _endpoint.Answering(204);
        var run = new TaskRun("0123456789abcdef", "welcome-mail", Type, 7, Json("""{"b":2,"a":[1,1.5,"x"],"n":null,"o":{"deep":true}}"""), 3);

        await RunAsync(url, run: run, headers: new() { ["Authorization"] = Secret, ["X-Tenant"] = "acme" });

        var request = _endpoint.ReceivedAt(url).Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(request.Method, Is.EqualTo("POST"));
            Assert.That(request.ContentType, Is.EqualTo("application/json; charset=utf-8"));
            Assert.That(
                request.Body,
                Is.EqualTo("""{"id":"0123456789abcdef","name":"welcome-mail","type":"deliver","priority":7,"data":{"b":2,"a":[1,1.5,"x"],"n":null,"o":{"deep":true}},"attempt":3}"""));
            Assert.That(request.Headers["Authorization"], Is.EqualTo(Secret));
            Assert.That(request.Headers["X-Tenant"], Is.EqualTo("acme"));
        }
    }

    [Test]
    public async Task RunAsync_WhenEndpointReturnsDataObject_ReturnsCompletedWithThatData()
    {
        var url = _endpoint.Answering(200, """{"status":"sent","data":{"sentAt":"2030-01-01T00:00:00Z","count":2}}""");

        var outcome = await RunAsync(url);

        var completed = (CompletedOutcome)outcome;
        Assert.That(completed.Data?.GetRawText(), Is.EqualTo("""{"sentAt":"2030-01-01T00:00:00Z","count":2}"""));
    }

    [TestCase("""{"data":5}""")]
    [TestCase("""{"data":[1]}""")]
    [TestCase("""{"other":{}}""")]
    [TestCase("""[{"data":{}}]""")]
    [TestCase("not json at all")]
    [TestCase("")]
    public async Task RunAsync_WhenSuccessBodyHasNoDataObject_ReturnsCompletedWithoutData(string body)
    {
        var url = _endpoint.Answering(201, body);

        var outcome = await RunAsync(url);

        Assert.That(outcome, Is.EqualTo(RunOutcome.Completed()));
    }

    [Test]
    public async Task RunAsync_WhenEndpointAnswers503WithRetryAfterSeconds_ReturnsRetryNotBeforeThatDelay()
    {
        var url = _endpoint.Answering(503, """{"error":"maintenance"}""", ("Retry-After", "7"));

        var outcome = await RunAsync(url);

        var retry = (RetryOutcome)outcome;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(retry.NotBefore, Is.EqualTo(TimeSpan.FromSeconds(7)));
            Assert.That(retry.Error, Is.EqualTo($"HTTP 503 from {url.Authority}{url.AbsolutePath}: {{\"error\":\"maintenance\"}}"));
        }
    }

    [Test]
    public async Task RunAsync_WhenEndpointAnswers503WithRetryAfterDate_ReturnsRetryNotBeforeUntilThatDate()
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(120);
        var url = _endpoint.Answering(503, headers: ("Retry-After", at.ToString("r", CultureInfo.InvariantCulture)));

        var outcome = await RunAsync(url);

        var retry = (RetryOutcome)outcome;
        Assert.That(retry.NotBefore, Is.InRange(TimeSpan.FromSeconds(110), TimeSpan.FromSeconds(120)));
    }

    [TestCase(408)]
    [TestCase(429)]
    [TestCase(500)]
    [TestCase(502)]
    [TestCase(503)]
    public async Task RunAsync_WhenEndpointAnswersTransientStatus_ReturnsRetry(int status)
    {
        var url = _endpoint.Answering(status, "busy");

        var outcome = await RunAsync(url);

        Assert.That(outcome, Is.EqualTo(RunOutcome.Retry($"HTTP {status} from {url.Authority}{url.AbsolutePath}: busy")));
    }

    [Test]
    public async Task RunAsync_WhenEndpointAnswers400WithBody_ReturnsFailedWithStatusAndBodyExcerpt()
    {
        var url = _endpoint.Answering(400, "{\n  \"error\": \"unknown recipient\",\r\n\t\"field\": \"to\"\n}");

        var outcome = await RunAsync(url);

        Assert.That(
            outcome,
            Is.EqualTo(RunOutcome.Failed($"HTTP 400 from {url.Authority}{url.AbsolutePath}: {{ \"error\": \"unknown recipient\", \"field\": \"to\" }}")));
    }

    [Test]
    public async Task RunAsync_WhenErrorBodyIsLong_KeepsAtMost500CharactersOfIt()
    {
        var url = _endpoint.Answering(422, new string('x', 5000));

        var outcome = await RunAsync(url);

        var error = ((FailedOutcome)outcome).Error;
        var excerpt = error[(error.IndexOf(": ", StringComparison.Ordinal) + 2)..];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Does.StartWith("HTTP 422 from "));
            Assert.That(excerpt, Has.Length.EqualTo(500));
            Assert.That(excerpt, Does.EndWith("x…"));
        }
    }

    [Test]
    public async Task RunAsync_WhenEndpointAnswers404_ReturnsFailed()
    {
        var url = _endpoint.Answering(404);

        var outcome = await RunAsync(url);

        Assert.That(outcome, Is.EqualTo(RunOutcome.Failed($"HTTP 404 from {url.Authority}{url.AbsolutePath}")));
    }

    [Test]
    public async Task RunAsync_WhenEndpointRedirects_ReturnsFailedWithoutFollowing()
    {
        var elsewhere = _endpoint.Answering(200);
        var url = _endpoint.Answering(307, headers: ("Location", elsewhere.ToString()));

        var outcome = await RunAsync(url);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(outcome, Is.EqualTo(RunOutcome.Failed($"HTTP 307 from {url.Authority}{url.AbsolutePath}")));
            Assert.That(_endpoint.ReceivedAt(elsewhere), Is.Empty);
        }
    }

    [Test]
    public async Task RunAsync_WhenEndpointIsSlowerThanTheTimeout_ReturnsRetryNamingTheTimeout()
    {
        var url = _endpoint.On(context => Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
        var stopwatch = Stopwatch.StartNew();

        var outcome = await RunAsync(url, timeout: "00:00:00.300");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(
                outcome,
                Is.EqualTo(RunOutcome.Retry($"Timed out after 0.3 s waiting for {url.Authority}{url.AbsolutePath} (Runners:Http:{Type}:Timeout).")));
            Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        }
    }

    [Test]
    public async Task RunAsync_WhenResponseBodyIsSlowerThanTheTimeout_ReturnsRetry()
    {
        var url = _endpoint.On(async context =>
        {
            context.Response.StatusCode = 200;
            await context.Response.WriteAsync("{\"data\":", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        });

        var outcome = await RunAsync(url, timeout: "00:00:00.300");

        Assert.That(((RetryOutcome)outcome).Error, Does.StartWith("Timed out after 0.3 s"));
    }

    [Test]
    public async Task RunAsync_WhenNothingListens_ReturnsRetryCouldNotReach()
    {
        var url = new Uri($"http://127.0.0.1:{TestEndpoint.UnusedPort()}/hooks/none");

        var outcome = await RunAsync(url);

        Assert.That(((RetryOutcome)outcome).Error, Does.StartWith($"Could not reach {url.Authority}/hooks/none: "));
    }

    [Test]
    public void RunAsync_WhenTheRunIsCancelled_ThrowsOperationCanceled()
    {
        var url = _endpoint.On(context => Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.That(
            async () => await RunAsync(url, timeout: "00:00:30", cancellationToken: cancellation.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void RunAsync_WhenTheRunIsCancelledBeforeItStarts_ThrowsOperationCanceledWithoutPosting()
    {
        var url = _endpoint.Answering(200);

        Assert.Multiple(() =>
        {
            Assert.That(
                async () => await RunAsync(url, cancellationToken: new CancellationToken(canceled: true)),
                Throws.InstanceOf<OperationCanceledException>());
            Assert.That(_endpoint.ReceivedAt(url), Is.Empty);
        });
    }

    [Test]
    public async Task RunAsync_WhenTypeIsNotConfigured_ReturnsFailedNamingTheSetting()
    {
        using var services = Services(Settings(_endpoint.Answering(200)));
        var runner = services.GetServices<ITaskRunner>().Single();

        var outcome = await runner.RunAsync(NewRun() with { Type = "other" }, CancellationToken.None);

        Assert.That(((FailedOutcome)outcome).Error, Does.Contain("Runners:Http:other:Url"));
    }

    [Test]
    public async Task RunAsync_WhenHeadersAreConfigured_NeverLogsTheirValues()
    {
        var logs = new CapturingLoggerProvider();
        var failing = _endpoint.Answering(500, "oops");
        var settings = Settings(_endpoint.Answering(200), headers: new() { ["Authorization"] = Secret });
        settings[$"Runners:Http:failing:Url"] = failing.ToString();
        settings[$"Runners:Http:failing:Headers:Authorization"] = Secret;
        using var services = Services(settings, logs);
        var runner = services.GetServices<ITaskRunner>().Single();

        await runner.RunAsync(NewRun(), CancellationToken.None);
        await runner.RunAsync(NewRun() with { Type = "failing" }, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(logs.Lines, Is.Not.Empty);
            Assert.That(logs.Lines, Has.Some.Contains("Authorization"), "the header name is logged, so the check below is meaningful");
            Assert.That(logs.Lines, Has.None.Contains("s3cr3t"));
        }
    }

    private static TaskRun NewRun() => new("0123456789abcdef", "a-task", Type, 0, Json("""{"a":1}"""), 1);

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static Dictionary<string, string?> Settings(Uri url, string? timeout = null, Dictionary<string, string>? headers = null)
    {
        var settings = new Dictionary<string, string?> { [$"Runners:Http:{Type}:Url"] = url.ToString() };
        if (timeout is not null)
        {
            settings[$"Runners:Http:{Type}:Timeout"] = timeout;
        }

        foreach (var (name, value) in headers ?? [])
        {
            settings[$"Runners:Http:{Type}:Headers:{name}"] = value;
        }

        return settings;
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, ILoggerProvider? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        return services.AddHttpTaskRunner(configuration).BuildServiceProvider(validateScopes: true);
    }

    private static async Task<RunOutcome> RunAsync(
        Uri url,
        TaskRun? run = null,
        string? timeout = null,
        Dictionary<string, string>? headers = null,
        CancellationToken cancellationToken = default)
    {
        await using var services = Services(Settings(url, timeout, headers));
        var runner = services.GetServices<ITaskRunner>().Single();
        return await runner.RunAsync(run ?? NewRun(), cancellationToken);
    }
}
