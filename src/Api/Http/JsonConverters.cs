using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace TaskService.Api.Http;

/// <summary>Writes times as RFC 3339 UTC with milliseconds and a <c>Z</c>: <c>2026-01-02T03:04:05.678Z</c>.</summary>
public sealed class UtcMillisecondsConverter : JsonConverter<DateTime>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        RequireZone.Parse(ref reader).UtcDateTime;

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToUniversalTime().ToString(Format, CultureInfo.InvariantCulture));
}

/// <summary>Reads RFC 3339 times and refuses one without a zone offset, which would otherwise mean "server local time".</summary>
public sealed partial class RequireZone : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(ref reader);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(UtcMillisecondsConverter.Format, CultureInfo.InvariantCulture));

    public static DateTimeOffset Parse(ref Utf8JsonReader reader)
    {
        const string expected = "must be an RFC 3339 time with a zone, for example 2026-01-02T03:04:05Z";
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A time {expected}.");
        }

        var text = reader.GetString()!;
        if (!Rfc3339().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var time))
        {
            throw new JsonException($"'{text}' {expected}.");
        }

        return time;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
