using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TaskService.Application.Tasks.Execution;

namespace TaskService.Infrastructure.Runners;

public static class HttpRunnerRegistration
{
    /// <summary>
    /// Binds <see cref="HttpRunnerOptions"/> from <c>Runners:Http</c>, validates them when the host starts (and on first
    /// use), registers the named <see cref="HttpClient"/> and, when at least one type is configured, registers
    /// <see cref="HttpTaskRunner"/> as an <see cref="ITaskRunner"/>. Calling it again adds nothing.
    /// </summary>
    public static IServiceCollection AddHttpTaskRunner(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var section = configuration.GetSection(HttpRunnerOptions.Section);
        services.AddOptions<HttpRunnerOptions>()
            .Configure(options => section.Bind(options.Endpoints))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpRunnerOptions>, HttpRunnerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient(HttpTaskRunner.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // The URL comes from configuration only; a redirect would let the endpoint choose another one.
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .RedactLoggedHeaders(_ => true);

        if (section.GetChildren().Any())
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITaskRunner, HttpTaskRunner>());
        }

        return services;
    }

    private sealed class HttpRunnerOptionsValidator : IValidateOptions<HttpRunnerOptions>
    {
        public ValidateOptionsResult Validate(string? name, HttpRunnerOptions options)
        {
            var problems = HttpRunnerOptions.Validate(options);
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
