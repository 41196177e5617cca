using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TaskService.Domain.Common;

namespace TaskService.Domain.Tasks;

/// <summary>
/// A task's <c>data</c>: a JSON object kept in one canonical text form, so every store returns exactly what
/// the client sent. Key order and all values are kept; integers stay integers (64-bit) and fractions stay
/// fractions (IEEE double, written with a decimal point), so "1.0" is never turned into "1".
/// </summary>
public sealed class TaskData : IEquatable<TaskData>
{
    public const int MaxDepth = 64;

    public static readonly TaskData Empty = new("{}");

    private TaskData(string json) => Json = json;

    /// <summary>Compact canonical JSON text of the object.</summary>
    public string Json { get; }

    /// <summary>Parses a JSON object; throws <see cref="InvalidTaskDataException"/> with the offending JSON pointer.</summary>
    public static TaskData Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static TaskData Parse(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, MaxDepth = MaxDepth + 1, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            try
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new InvalidTaskDataException("", "must be a JSON object");
                }

                CopyObject(ref reader, writer, "");
                if (reader.Read())
                {
                    throw new InvalidTaskDataException("", "must be a single JSON object");
                }
            }
            catch (JsonException exception)
            {
                throw new InvalidTaskDataException("", $"is not valid JSON ({exception.Message})");
            }
            catch (InvalidOperationException exception)
            {
                throw new InvalidTaskDataException("", $"holds a string that is not valid Unicode ({exception.Message})");
            }
        }

        return new TaskData(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static void CopyObject(ref Utf8JsonReader reader, Utf8JsonWriter writer, string pointer)
    {
        writer.WriteStartObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            var childPointer = $"{pointer}/{EscapePointer(key)}";
            if (!seen.Add(key))
            {
                throw new InvalidTaskDataException(childPointer, "is a duplicate key");
            }

            writer.WritePropertyName(key);
            reader.Read();
            CopyValue(ref reader, writer, childPointer);
        }

        writer.WriteEndObject();
    }

    private static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer, string pointer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                CopyObject(ref reader, writer, pointer);
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    CopyValue(ref reader, writer, $"{pointer}/{index++}");
                }

                writer.WriteEndArray();
                break;
            case JsonTokenType.String:
                writer.WriteStringValue(reader.GetString());
                break;
            case JsonTokenType.Number:
                writer.WriteRawValue(CanonicalNumber(ref reader, pointer), skipInputValidation: true);
                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                writer.WriteBooleanValue(reader.GetBoolean());
                break;
            case JsonTokenType.Null:
                writer.WriteNullValue();
                break;
            default:
                throw new InvalidTaskDataException(pointer, $"has an unexpected token {reader.TokenType}");
        }
    }

    private static string CanonicalNumber(ref Utf8JsonReader reader, string pointer)
    {
        var raw = reader.ValueSpan;
        var isInteger = raw.IndexOfAny(".eE"u8) < 0;
        if (isInteger)
        {
            return reader.TryGetInt64(out var integer)
                ? integer.ToString(CultureInfo.InvariantCulture)
                : throw new InvalidTaskDataException(pointer, "is an integer outside the 64-bit range");
        }

        if (!reader.TryGetDouble(out var fraction) || !double.IsFinite(fraction))
        {
            throw new InvalidTaskDataException(pointer, "is a number outside the range of a 64-bit float");
        }

        return FormatFraction(fraction);
    }

    /// <summary>
    /// Shortest round-trip form that still reads as a fraction: 1.0 stays "1.0", never "1". Negative zero is written
    /// as 0.0: BSON readers do not keep its sign, so no store could return it faithfully.
    /// </summary>
    public static string FormatFraction(double value)
    {
        var text = (value == 0 ? 0d : value).ToString("R", CultureInfo.InvariantCulture);
        return text.AsSpan().IndexOfAny(".E") < 0 ? text + ".0" : text;
    }

    private static string EscapePointer(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public bool Equals(TaskData? other) => other is not null && string.Equals(Json, other.Json, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as TaskData);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Json);

    public override string ToString() => Json;
}

public sealed class InvalidTaskDataException(string path, string problem)
    : DomainException($"data{path} {problem}.")
{
    /// <summary>JSON pointer below <c>data</c>, empty for the object itself.</summary>
    public string Path { get; } = path;

    public string Problem { get; } = problem;
}
