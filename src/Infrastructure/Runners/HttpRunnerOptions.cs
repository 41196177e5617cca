using System.Globalization;

namespace TaskService.Infrastructure.Runners;

/// <summary>
/// The built-in HTTP delivery runner's endpoints, bound from <c>Runners:Http</c>: one entry per task type, keyed by
/// the type name, e.g. <c>Runners:Http:send-email:Url</c>. Tasks of a configured type are POSTed to its URL.
/// </summary>
public sealed class HttpRunnerOptions
{
    public const string Section = "Runners:Http";

    /// <summary>The longest <see cref="HttpRunnerEndpointOptions.Timeout"/> accepted.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>Endpoint per task type.</summary>
    public Dictionary<string, HttpRunnerEndpointOptions> Endpoints { get; } = new(StringComparer.Ordinal);

    /// <summary>Everything wrong with <paramref name="options"/>, each naming the setting to fix; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(HttpRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        foreach (var (type, endpoint) in options.Endpoints.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            var setting = $"{Section}:{type}";
            if (endpoint is null)
            {
                problems.Add($"{setting}:Url is missing: set it to the absolute http(s) URL that tasks of type '{type}' are POSTed to.");
                continue;
            }

            ValidateUrl(setting, type, endpoint.Url, problems);

            if (endpoint.Timeout <= TimeSpan.Zero || endpoint.Timeout > MaxTimeout)
            {
                problems.Add(
                    $"{setting}:Timeout is {endpoint.Timeout.ToString("c", CultureInfo.InvariantCulture)}: it must be positive " +
                    $"and at most {MaxTimeout.ToString("c", CultureInfo.InvariantCulture)}, e.g. 00:00:30.");
            }

            foreach (var (name, value) in endpoint.Headers.OrderBy(header => header.Key, StringComparer.Ordinal))
            {
                // Header values are secrets (Authorization): problems name the setting, never the value.
                if (!IsSendableHeaderName(name))
                {
                    problems.Add(
                        $"{setting}:Headers:{name} is not a request header the runner can send: use a valid header name " +
                        "other than a content header such as Content-Type, which the runner sets itself.");
                }
                else if (value is null || value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
                {
                    problems.Add($"{setting}:Headers:{name} has no value or a value with a line break or NUL character.");
                }
            }
        }

        return problems;
    }

    private static void ValidateUrl(string setting, string type, string? url, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            problems.Add($"{setting}:Url is missing: set it to the absolute http(s) URL that tasks of type '{type}' are POSTed to.");
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{setting}:Url must be an absolute http or https URL, e.g. https://example.com/hooks/{type}.");
        }
        else if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            problems.Add($"{setting}:Url must not contain credentials: send them with {setting}:Headers:Authorization.");
        }
    }

    /// <summary>A valid header name that goes on the request itself: content headers (Content-Type …) are refused.</summary>
    private static bool IsSendableHeaderName(string name)
    {
        using var request = new HttpRequestMessage();
        return request.Headers.TryAddWithoutValidation(name, "x");
    }
}

/// <summary>Where and how tasks of one type are delivered.</summary>
public sealed class HttpRunnerEndpointOptions
{
    /// <summary>The absolute http(s) URL each task is POSTed to. Only ever taken from configuration.</summary>
    public string? Url { get; set; }

    /// <summary>How long one delivery may take, response body included, before it is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra request headers, e.g. <c>Authorization</c>. Their values are never logged.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}
