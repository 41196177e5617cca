using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MongoDB.Bson;
using TaskService.Domain.Tasks;

namespace TaskService.Infrastructure.Mongo;

/// <summary>
/// Converts task data between its canonical JSON and a BSON document. JSON allows any key; MongoDB does not
/// like keys containing '.' or starting with '$', and BSON keys cannot hold NUL. Keys are therefore stored
/// percent-encoded ('%' → %25, '.' → %2E, '$' → %24, NUL → %00) and decoded on the way out, so every key
/// round-trips exactly. Integers are stored as int32 or int64 and fractions as double.
/// </summary>
public static class TaskDataBson
{
    public static BsonDocument ToBson(TaskData data)
    {
        using var document = JsonDocument.Parse(data.Json);
        return ToDocument(document.RootElement);
    }

    public static TaskData FromBson(BsonDocument document)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteDocument(writer, document);
        }

        return TaskData.Parse(buffer.WrittenSpan);
    }

    public static string EncodeKey(string key)
    {
        if (key.AsSpan().IndexOfAny("%.$\0") < 0)
        {
            return key;
        }

        var builder = new StringBuilder(key.Length + 8);
        foreach (var c in key)
        {
            builder.Append(c switch
            {
                '%' => "%25",
                '.' => "%2E",
                '$' => "%24",
                '\0' => "%00",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }

    public static string DecodeKey(string key) =>
        key.Contains('%', StringComparison.Ordinal)
            ? key.Replace("%2E", ".", StringComparison.Ordinal)
                .Replace("%24", "$", StringComparison.Ordinal)
                .Replace("%00", "\0", StringComparison.Ordinal)
                .Replace("%25", "%", StringComparison.Ordinal)
            : key;

    private static BsonDocument ToDocument(JsonElement element)
    {
        var document = new BsonDocument(allowDuplicateNames: false);
        foreach (var property in element.EnumerateObject())
        {
            document.Add(EncodeKey(property.Name), ToValue(property.Value));
        }

        return document;
    }

    private static BsonValue ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToDocument(element),
        JsonValueKind.Array => new BsonArray(element.EnumerateArray().Select(ToValue)),
        JsonValueKind.String => new BsonString(element.GetString()),
        JsonValueKind.Number => ToNumber(element),
        JsonValueKind.True => BsonBoolean.True,
        JsonValueKind.False => BsonBoolean.False,
        JsonValueKind.Null => BsonNull.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(element), element.ValueKind, "Unexpected JSON value."),
    };

    private static BsonValue ToNumber(JsonElement element)
    {
        if (element.GetRawText().AsSpan().IndexOfAny(".eE") >= 0)
        {
            return new BsonDouble(element.GetDouble());
        }

        var integer = element.GetInt64();
        return integer is >= int.MinValue and <= int.MaxValue ? new BsonInt32((int)integer) : new BsonInt64(integer);
    }

    private static void WriteDocument(Utf8JsonWriter writer, BsonDocument document)
    {
        writer.WriteStartObject();
        foreach (var element in document)
        {
            writer.WritePropertyName(DecodeKey(element.Name));
            WriteValue(writer, element.Value);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, BsonValue value)
    {
        switch (value.BsonType)
        {
            case BsonType.Document:
                WriteDocument(writer, value.AsBsonDocument);
                break;
            case BsonType.Array:
                writer.WriteStartArray();
                foreach (var item in value.AsBsonArray)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            case BsonType.String:
                writer.WriteStringValue(value.AsString);
                break;
            case BsonType.Int32:
                writer.WriteNumberValue(value.AsInt32);
                break;
            case BsonType.Int64:
                writer.WriteNumberValue(value.AsInt64);
                break;
            case BsonType.Double:
                writer.WriteRawValue(TaskData.FormatFraction(value.AsDouble));
                break;
            case BsonType.Boolean:
                writer.WriteBooleanValue(value.AsBoolean);
                break;
            case BsonType.Null:
                writer.WriteNullValue();
                break;
            case BsonType.DateTime:
                writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                break;
            default:
                // Written by something other than this service (a shell, a migration): keep it readable rather than fail.
                writer.WriteStringValue(value.ToString());
                break;
        }
    }
}
