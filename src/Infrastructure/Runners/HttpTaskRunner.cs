using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;

namespace TaskService.Infrastructure.Runners;

/// <summary>
/// Delivers tasks over HTTP: each run POSTs <c>{"id","name","type","priority","data","attempt"}</c> as JSON to the URL
/// configured for the task's type (<see cref="HttpRunnerOptions"/>; URLs never come from task data) and maps the answer
/// to an outcome. 2xx completes (a <c>data</c> object in the response replaces the task's data); 408, 429 and 5xx,
/// timeouts and unreachable endpoints are retried (honouring <c>Retry-After</c>); any other status fails for good.
/// Redirects are not followed: a 3xx fails, naming the status, so the configured URL gets fixed.
/// </summary>
public sealed partial class HttpTaskRunner : ITaskRunner
{
    /// <summary>The named <see cref="HttpClient"/> the runner uses.</summary>
    public const string HttpClientName = "TaskService.HttpRunner";

    /// <summary>The longest error excerpt taken from a response body.</summary>
    public const int MaxExcerptLength = 500;

    /// <summary>The most of a 2xx response body read to look for <c>data</c>; a longer body completes without data.</summary>
    public const int MaxSuccessBodyBytes = 4 * 1024 * 1024;

    private const int MaxErrorBodyBytes = 8 * 1024;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<HttpTaskRunner> _logger;
    private readonly Dictionary<string, Endpoint> _endpoints;

    public HttpTaskRunner(
        IHttpClientFactory httpClientFactory,
        IOptions<HttpRunnerOptions> options,
        TimeProvider timeProvider,
        ILogger<HttpTaskRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClientFactory = httpClientFactory;
        _timeProvider = timeProvider;
        _logger = logger;
        _endpoints = options.Value.Endpoints.ToDictionary(
            entry => entry.Key,
            entry => Endpoint.From(entry.Key, entry.Value),
            StringComparer.Ordinal);
        Types = [.. _endpoints.Keys.Order(StringComparer.Ordinal)];
    }

    public IReadOnlyCollection<string> Types { get; }

    public async Task<RunOutcome> RunAsync(TaskRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!_endpoints.TryGetValue(run.Type, out var endpoint))
        {
            return RunOutcome.Failed($"No {HttpRunnerOptions.Section}:{run.Type}:Url is configured for tasks of type '{run.Type}'.");
        }

        LogPosting(_logger, run.Id, run.Type, run.Attempt, endpoint.Target);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(endpoint.Timeout);
        RunOutcome outcome;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = Body(run) };
            foreach (var (name, value) in endpoint.Headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            var client = _httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            outcome = await OutcomeAsync(response, endpoint, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            outcome = RunOutcome.Retry(
                $"Timed out after {Seconds(endpoint.Timeout)} waiting for {endpoint.Target} ({endpoint.Setting}:Timeout).");
        }
        catch (HttpRequestException exception)
        {
            outcome = RunOutcome.Retry($"Could not reach {endpoint.Target}: {OneLine(exception.Message, MaxExcerptLength)}");
        }
        catch (IOException exception)
        {
            // The connection broke while the response body was being read.
            outcome = RunOutcome.Retry($"Lost the connection to {endpoint.Target}: {OneLine(exception.Message, MaxExcerptLength)}");
        }

        Log(run, endpoint, outcome);
        return outcome;
    }

    private async Task<RunOutcome> OutcomeAsync(HttpResponseMessage response, Endpoint endpoint, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            var (body, complete) = await ReadAsync(response.Content, MaxSuccessBodyBytes, cancellationToken);
            if (!complete)
            {
                LogBodyTooLarge(_logger, endpoint.Target, MaxSuccessBodyBytes);
                return RunOutcome.Completed();
            }

            return RunOutcome.Completed(ReturnedData(body));
        }

        var (errorBody, _) = await ReadAsync(response.Content, MaxErrorBodyBytes, cancellationToken);
        var excerpt = OneLine(Decode(errorBody), MaxExcerptLength);
        var error = $"HTTP {status.ToString(CultureInfo.InvariantCulture)} from {endpoint.Target}{(excerpt.Length == 0 ? "" : $": {excerpt}")}";
        return IsTransient(response.StatusCode)
            ? RunOutcome.Retry(error, RetryAfter(response.Headers.RetryAfter))
            : RunOutcome.Failed(error);
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? retryAfter)
    {
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - _timeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    /// <summary>The response's <c>data</c> when the body is a JSON object whose <c>data</c> is an object.</summary>
    private static JsonElement? ReturnedData(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = TaskData.MaxDepth + 1 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("data", out var data)
                && data.ValueKind == JsonValueKind.Object
                    ? data.Clone()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ByteArrayContent Body(TaskRun run)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", run.Id);
            writer.WriteString("name", run.Name);
            writer.WriteString("type", run.Type);
            writer.WriteNumber("priority", run.Priority);
            writer.WritePropertyName("data");
            if (run.Data.ValueKind == JsonValueKind.Undefined)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else
            {
                run.Data.WriteTo(writer);
            }

            writer.WriteNumber("attempt", run.Attempt);
            writer.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = JsonContentType;
        return content;
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; <c>complete</c> is false when the body is longer.</summary>
    private static async Task<(ReadOnlyMemory<byte> Body, bool Complete)> ReadAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var body = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var room = limit - (int)body.Length;
            var read = await stream.ReadAsync(chunk.AsMemory(0, Math.Min(chunk.Length, room + 1)), cancellationToken);
            if (read == 0)
            {
                return (body.GetBuffer().AsMemory(0, (int)body.Length), true);
            }

            if (read > room)
            {
                body.Write(chunk, 0, room);
                return (body.GetBuffer().AsMemory(0, (int)body.Length), false);
            }

            body.Write(chunk, 0, read);
        }
    }

    private static string Decode(ReadOnlyMemory<byte> body) => Encoding.UTF8.GetString(body.Span);

    /// <summary>Whitespace and control characters collapsed to single spaces, trimmed, cut to <paramref name="max"/> characters.</summary>
    private static string OneLine(string text, int max)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max + 1));
        var pendingSpace = false;
        foreach (var character in text)
        {
            if (char.IsWhiteSpace(character) || char.IsControl(character))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(character);
            if (builder.Length > max)
            {
                break;
            }
        }

        if (builder.Length <= max)
        {
            return builder.ToString();
        }

        builder.Length = max - 1;
        if (char.IsHighSurrogate(builder[^1]))
        {
            builder.Length--;
        }

        return builder.Append('…').ToString();
    }

    private static string Seconds(TimeSpan duration) =>
        $"{duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    private void Log(TaskRun run, Endpoint endpoint, RunOutcome outcome)
    {
        switch (outcome)
        {
            case CompletedOutcome completed:
                LogCompleted(_logger, run.Id, endpoint.Target, completed.Data is not null);
                break;
            case RetryOutcome retry:
                LogRetry(_logger, run.Id, run.Attempt, endpoint.Target, retry.Error);
                break;
            case FailedOutcome failed:
                LogFailed(_logger, run.Id, run.Attempt, endpoint.Target, failed.Error);
                break;
            default:
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Posting task {TaskId} of type {Type} (attempt {Attempt}) to {Target}")]
    private static partial void LogPosting(ILogger logger, string taskId, string type, int attempt, string target);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId} delivered to {Target} (data returned: {DataReturned})")]
    private static partial void LogCompleted(ILogger logger, string taskId, string target, bool dataReturned);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering task {TaskId} (attempt {Attempt}) to {Target} failed, to be retried: {Error}")]
    private static partial void LogRetry(ILogger logger, string taskId, int attempt, string target, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering task {TaskId} (attempt {Attempt}) to {Target} failed for good: {Error}")]
    private static partial void LogFailed(ILogger logger, string taskId, int attempt, string target, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The 2xx response from {Target} is longer than {Limit} bytes: completing without reading its data")]
    private static partial void LogBodyTooLarge(ILogger logger, string target, int limit);

    /// <summary>One configured endpoint; <see cref="Target"/> (host and path, no query or credentials) is safe to show.</summary>
    private sealed record Endpoint(string Setting, Uri Url, TimeSpan Timeout, KeyValuePair<string, string>[] Headers, string Target)
    {
        public static Endpoint From(string type, HttpRunnerEndpointOptions options)
        {
            var setting = $"{HttpRunnerOptions.Section}:{type}";
            if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url))
            {
                throw new InvalidOperationException($"{setting}:Url is missing or not an absolute http(s) URL.");
            }

            return new Endpoint(setting, url, options.Timeout, [.. options.Headers], url.Authority + url.AbsolutePath);
        }
    }
}
