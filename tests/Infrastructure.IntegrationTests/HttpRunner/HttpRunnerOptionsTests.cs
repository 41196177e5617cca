using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TaskService.Application.Tasks.Execution;
using TaskService.Infrastructure.Runners;

namespace TaskService.Infrastructure.IntegrationTests.HttpRunner;

/// <summary>Binding, validation and registration of the HTTP runner's settings.</summary>
[TestFixture]
public sealed class HttpRunnerOptionsTests
{
    [Test]
    public void Validate_WhenEveryEndpointIsValid_ReturnsNoProblems()
    {
        var options = Options(("a", Endpoint("https://example.com/hooks/a")), ("b", Endpoint("http://127.0.0.1:8080/b?x=1")));

        Assert.That(HttpRunnerOptions.Validate(options), Is.Empty);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("  ")]
    public void Validate_WhenUrlIsMissing_NamesTheUrlSetting(string? url)
    {
        var problems = HttpRunnerOptions.Validate(Options(("send-mail", Endpoint(url))));

        Assert.That(problems, Is.EqualTo(new[]
        {
            "Runners:Http:send-mail:Url is missing: set it to the absolute http(s) URL that tasks of type 'send-mail' are POSTed to.",
        }));
    }

    [TestCase("hooks/send-mail")]
    [TestCase("/hooks/send-mail")]
    [TestCase("ftp://example.com/hooks")]
    [TestCase("file:///etc/passwd")]
    [TestCase("not a url")]
    public void Validate_WhenUrlIsNotAnAbsoluteHttpUrl_NamesTheUrlSetting(string url)
    {
        var problems = HttpRunnerOptions.Validate(Options(("send-mail", Endpoint(url))));

        Assert.That(problems, Is.EqualTo(new[]
        {
            "Runners:Http:send-mail:Url must be an absolute http or https URL, e.g. https://example.com/hooks/send-mail.",
        }));
    }

    [Test]
    public void Validate_WhenUrlHoldsCredentials_AsksForAnAuthorizationHeaderInstead()
    {
        var problems = HttpRunnerOptions.Validate(Options(("a", Endpoint("https://user:pass@example.com/a"))));

        Assert.That(problems, Is.EqualTo(new[]
        {
            "Runners:Http:a:Url must not contain credentials: send them with Runners:Http:a:Headers:Authorization.",
        }));
    }

    [TestCase("00:00:00")]
    [TestCase("-00:00:01")]
    [TestCase("2.00:00:00")]
    public void Validate_WhenTimeoutIsNotPositiveOrTooLong_NamesTheTimeoutSetting(string timeout)
    {
        var endpoint = Endpoint("https://example.com/a");
        endpoint.Timeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);

        var problems = HttpRunnerOptions.Validate(Options(("a", endpoint)));

        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.StartWith($"Runners:Http:a:Timeout is {timeout}: it must be positive and at most 1.00:00:00"));
    }

    [TestCase("Content-Type")]
    [TestCase("Content-Length")]
    [TestCase("Bad Name")]
    [TestCase("Bad:Name")]
    public void Validate_WhenHeaderCannotBeSent_NamesTheHeaderSetting(string name)
    {
        var endpoint = Endpoint("https://example.com/a");
        endpoint.Headers[name] = "value";

        var problems = HttpRunnerOptions.Validate(Options(("a", endpoint)));

        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.StartWith($"Runners:Http:a:Headers:{name} is not a request header the runner can send"));
    }

    [Test]
    public void Validate_WhenHeaderValueHasALineBreak_NamesTheHeaderWithoutItsValue()
    {
        var endpoint = Endpoint("https://example.com/a");
        endpoint.Headers["Authorization"] = "Bearer secret\r\nX-Injected: 1";

        var problems = HttpRunnerOptions.Validate(Options(("a", endpoint)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(problems, Is.EqualTo(new[] { "Runners:Http:a:Headers:Authorization has no value or a value with a line break or NUL character." }));
            Assert.That(problems[0], Does.Not.Contain("secret"));
        }
    }

    [Test]
    public void Validate_WhenSeveralEndpointsAreWrong_ListsEveryProblem()
    {
        var slow = Endpoint("https://example.com/b");
        slow.Timeout = TimeSpan.Zero;

        var problems = HttpRunnerOptions.Validate(Options(("a", Endpoint(null)), ("b", slow), ("c", Endpoint("https://example.com/c"))));

        Assert.That(problems, Has.Count.EqualTo(2));
        Assert.That(problems[0], Does.StartWith("Runners:Http:a:Url"));
        Assert.That(problems[1], Does.StartWith("Runners:Http:b:Timeout"));
    }

    [Test]
    public void AddHttpTaskRunner_WhenSettingsAreGiven_BindsUrlTimeoutAndHeaders()
    {
        using var services = Services(new()
        {
            ["Runners:Http:send-mail:Url"] = "https://example.com/mail",
            ["Runners:Http:send-mail:Timeout"] = "00:00:05",
            ["Runners:Http:send-mail:Headers:Authorization"] = "Bearer x",
            ["Runners:Http:resize:Url"] = "https://example.com/resize",
        });

        var options = services.GetRequiredService<IOptions<HttpRunnerOptions>>().Value;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Endpoints.Keys, Is.EquivalentTo(new[] { "send-mail", "resize" }));
            Assert.That(options.Endpoints["send-mail"].Url, Is.EqualTo("https://example.com/mail"));
            Assert.That(options.Endpoints["send-mail"].Timeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(options.Endpoints["send-mail"].Headers, Is.EqualTo(new Dictionary<string, string> { ["Authorization"] = "Bearer x" }));
            Assert.That(options.Endpoints["resize"].Timeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(options.Endpoints["resize"].Headers, Is.Empty);
        }
    }

    [Test]
    public void AddHttpTaskRunner_WhenNoTypeIsConfigured_RegistersNoRunner()
    {
        using var services = Services([]);

        Assert.That(services.GetServices<ITaskRunner>(), Is.Empty);
    }

    [Test]
    public void AddHttpTaskRunner_WhenTypesAreConfigured_RegistersOneRunnerForAllOfThem()
    {
        var configuration = Configuration(new()
        {
            ["Runners:Http:send-mail:Url"] = "https://example.com/mail",
            ["Runners:Http:resize:Url"] = "https://example.com/resize",
        });
        using var services = new ServiceCollection().AddLogging()
            .AddHttpTaskRunner(configuration)
            .AddHttpTaskRunner(configuration)
            .BuildServiceProvider();

        var runners = services.GetServices<ITaskRunner>().ToList();

        Assert.That(runners, Has.Count.EqualTo(1));
        Assert.That(runners[0], Is.InstanceOf<HttpTaskRunner>());
        Assert.That(runners[0].Types, Is.EquivalentTo(new[] { "send-mail", "resize" }));
    }

    [Test]
    public void AddHttpTaskRunner_WhenSettingsAreInvalid_ResolvingTheRunnerThrowsListingEveryProblem()
    {
        using var services = Services(new()
        {
            ["Runners:Http:send-mail:Timeout"] = "00:00:05",
            ["Runners:Http:resize:Url"] = "resize",
        });

        Assert.That(
            () => services.GetServices<ITaskRunner>().ToList(),
            Throws.InstanceOf<OptionsValidationException>()
                .With.Message.Contains("Runners:Http:send-mail:Url is missing")
                .And.Message.Contains("Runners:Http:resize:Url must be an absolute http or https URL"));
    }

    [Test]
    public async Task AddHttpTaskRunner_WhenSettingsAreInvalid_StopsTheHostFromStarting()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Runners:Http:resize:Url"] = "ftp://example.com/x" });
        builder.Services.AddHttpTaskRunner(builder.Configuration);
        using var host = builder.Build();

        var exception = await CatchAsync(() => host.StartAsync());

        Assert.That(exception, Is.InstanceOf<OptionsValidationException>().With.Message.Contains("Runners:Http:resize:Url"));
    }

    private static async Task<Exception?> CatchAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception exception) when (exception is OptionsValidationException or AggregateException)
        {
            return exception;
        }
    }

    private static HttpRunnerOptions Options(params (string Type, HttpRunnerEndpointOptions Endpoint)[] endpoints)
    {
        var options = new HttpRunnerOptions();
        foreach (var (type, endpoint) in endpoints)
        {
            options.Endpoints[type] = endpoint;
        }

        return options;
    }

    private static HttpRunnerEndpointOptions Endpoint(string? url) => new() { Url = url };

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddLogging().AddHttpTaskRunner(Configuration(settings)).BuildServiceProvider();
}
