using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TaskService.Api.FunctionalTests.Support;

/// <summary>
/// Reads an OpenAPI description into JSON nodes with every <c>$ref</c> replaced by what it points at. A reference is
/// <c>file#/json/pointer</c>: the file part (YAML or JSON) is relative to the file that holds the reference, an empty
/// file part (<c>#/components/...</c>) means that same file. Siblings of a <c>$ref</c> are ignored, as OpenAPI 3.0 says.
/// </summary>
public sealed class OpenApiRefResolver
{
    private const string InMemory = "(served document)";

    private readonly Dictionary<string, JsonNode> _files = new(StringComparer.Ordinal);
    private readonly Stack<string> _resolving = new();

    private OpenApiRefResolver()
    {
    }

    /// <summary>Loads a description from a file and the files it references.</summary>
    public static JsonObject ResolveFile(string path)
    {
        var resolver = new OpenApiRefResolver();
        var fullPath = Path.GetFullPath(path);
        return resolver.Resolve(resolver.Load(fullPath), fullPath) as JsonObject
            ?? throw new InvalidOperationException($"{fullPath} is not an OpenAPI document (not a mapping).");
    }

    /// <summary>Resolves the local references (<c>#/components/...</c>) of a document that is already in memory.</summary>
    public static JsonObject ResolveLocal(JsonObject document)
    {
        var resolver = new OpenApiRefResolver();
        resolver._files[InMemory] = document;
        return (JsonObject)resolver.Resolve(document, InMemory)!;
    }

    private JsonNode? Resolve(JsonNode? node, string file)
    {
        switch (node)
        {
            case JsonObject obj when obj["$ref"] is JsonValue reference:
                var target = reference.GetValue<string>();
                var (targetFile, pointer, found) = Locate(target, file);
                var key = $"{targetFile}#{pointer}";
                if (_resolving.Contains(key))
                {
                    throw new InvalidOperationException($"Circular $ref '{target}' in {file}: {string.Join(" -> ", _resolving.Reverse())}.");
                }

                _resolving.Push(key);
                var resolved = Resolve(found, targetFile);
                _resolving.Pop();
                return resolved;
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    copy[name] = Resolve(value, file);
                }

                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(item => Resolve(item, file))]);
            default:
                return node?.DeepClone();
        }
    }

    private (string File, string Pointer, JsonNode? Node) Locate(string reference, string referringFile)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var filePart = hash >= 0 ? reference[..hash] : reference;
        var pointer = hash >= 0 ? reference[(hash + 1)..] : "";
        string file;
        if (filePart.Length == 0)
        {
            file = referringFile;
        }
        else if (referringFile == InMemory)
        {
            throw new InvalidOperationException($"$ref '{reference}' points outside the served document.");
        }
        else
        {
            file = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(referringFile)!, Uri.UnescapeDataString(filePart)));
        }

        var node = Load(file);
        foreach (var token in pointer.Split('/', StringSplitOptions.None).Skip(1))
        {
            var name = Uri.UnescapeDataString(token).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(name, out var child) => child,
                JsonArray array when int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                _ => throw new InvalidOperationException($"$ref '{reference}' in {referringFile}: '{pointer}' not found in {file}."),
            } ?? throw new InvalidOperationException($"$ref '{reference}' in {referringFile} points at null.");
        }

        return (file, pointer, node);
    }

    private JsonNode Load(string file)
    {
        if (!_files.TryGetValue(file, out var node))
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"Referenced file {file} does not exist.", file);
            }

            using var reader = new StreamReader(file);
            var yaml = new YamlStream();
            yaml.Load(reader);
            node = ToJson(yaml.Documents.Single().RootNode)
                ?? throw new InvalidOperationException($"{file} is empty.");
            _files[file] = node;
        }

        return node;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(entry =>
            KeyValuePair.Create(((YamlScalarNode)entry.Key).Value!, ToJson(entry.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => ToJson(scalar),
        _ => throw new NotSupportedException($"YAML node {node.NodeType} at {node.Start} is not supported."),
    };

    /// <summary>Quoted scalars are strings; plain ones follow the YAML core schema (null, booleans, numbers).</summary>
    private static JsonValue? ToJson(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(bool.Parse(text));
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }
}
