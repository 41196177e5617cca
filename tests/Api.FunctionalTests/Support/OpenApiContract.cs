using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TaskService.Api.FunctionalTests.Support;

/// <summary>
/// Compares the served OpenAPI document with the published description (both with their <c>$ref</c>s resolved) on
/// what a client generated from either would see, and lists every difference with where it is.
/// </summary>
public static class OpenApiContract
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    /// <summary>The schema keywords that change a generated client or what it sends; titles, descriptions and examples do not.</summary>
    private static readonly string[] SchemaKeywords =
    [
        "type", "format", "enum", "nullable", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "pattern", "minLength", "maxLength", "minItems", "maxItems", "default", "additionalProperties",
    ];

    private static readonly string[] SecuritySchemeKeywords = ["type", "in", "name", "scheme", "bearerFormat"];

    public static List<string> Compare(JsonObject published, JsonObject served)
    {
        var problems = new List<string>();
        ComparePaths(problems, Object(published["paths"]), Object(served["paths"]));
        CompareSecurity(problems, published, served);
        return problems;
    }

    /// <summary>Every operation of the served document as <c>(path, method, operation)</c>.</summary>
    public static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject document) =>
        from path in Object(document["paths"])
        from method in Methods
        let operation = path.Value?[method] as JsonObject
        where operation is not null
        select (path.Key, method, operation);

    private static void ComparePaths(List<string> problems, JsonObject published, JsonObject served)
    {
        var prefixes = published.Select(path => "/" + path.Key.Split('/', StringSplitOptions.RemoveEmptyEntries)[0] + "/").ToHashSet();
        foreach (var (path, _) in published.Where(path => !served.ContainsKey(path.Key)))
        {
            problems.Add($"paths: '{path}' is published but not served");
        }

        // Operational endpoints outside the published API's version prefix (status, probes) may be documented too.
        foreach (var (path, _) in served.Where(path => !published.ContainsKey(path.Key) && prefixes.Any(path.Key.StartsWith)))
        {
            problems.Add($"paths: '{path}' is served but not in the published description");
        }

        foreach (var (path, publishedItem) in published)
        {
            if (served[path] is JsonObject servedItem)
            {
                ComparePathItem(problems, path, Object(publishedItem), servedItem);
            }
        }
    }

    private static void ComparePathItem(List<string> problems, string path, JsonObject published, JsonObject served)
    {
        foreach (var method in Methods)
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            switch (published[method], served[method])
            {
                case (null, null):
                    break;
                case (JsonObject, null):
                    problems.Add($"{where}: operation is published but not served");
                    break;
                case (null, JsonObject):
                    problems.Add($"{where}: operation is served but not in the published description");
                    break;
                case (JsonObject publishedOperation, JsonObject servedOperation):
                    var id = Text(publishedOperation["operationId"]);
                    CompareOperation(problems, $"{where} ({id})", published, publishedOperation, served, servedOperation);
                    break;
            }
        }
    }

    private static void CompareOperation(
        List<string> problems, string where, JsonObject publishedItem, JsonObject published, JsonObject servedItem, JsonObject served)
    {
        Same(problems, $"{where}: operationId", published["operationId"], served["operationId"]);
        Same(problems, $"{where}: tags", published["tags"], served["tags"]);
        CompareParameters(problems, where, Parameters(publishedItem, published), Parameters(servedItem, served));
        CompareRequestBody(problems, $"{where} > request body", published["requestBody"] as JsonObject, served["requestBody"] as JsonObject);
        CompareResponses(problems, where, Object(published["responses"]), Object(served["responses"]));
    }

    /// <summary>The parameters that apply to an operation: those of its path, overridden by its own (by name and location).</summary>
    private static Dictionary<string, JsonObject> Parameters(JsonObject pathItem, JsonObject operation)
    {
        var parameters = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var parameter in Array(pathItem["parameters"]).Concat(Array(operation["parameters"])).OfType<JsonObject>())
        {
            parameters[$"{Text(parameter["in"])} parameter '{Text(parameter["name"])}'"] = parameter;
        }

        return parameters;
    }

    private static void CompareParameters(List<string> problems, string where, Dictionary<string, JsonObject> published, Dictionary<string, JsonObject> served)
    {
        foreach (var name in published.Keys.Except(served.Keys))
        {
            problems.Add($"{where}: {name} is published but not served");
        }

        foreach (var name in served.Keys.Except(published.Keys))
        {
            problems.Add($"{where}: {name} is served but not in the published description");
        }

        foreach (var name in published.Keys.Intersect(served.Keys))
        {
            var publishedRequired = published[name]["required"]?.GetValue<bool>() ?? false;
            var servedRequired = served[name]["required"]?.GetValue<bool>() ?? false;
            if (publishedRequired != servedRequired)
            {
                problems.Add($"{where} > {name}: required is {servedRequired} but published {publishedRequired}");
            }

            CompareSchema(problems, $"{where} > {name} > schema", published[name]["schema"], served[name]["schema"]);
        }
    }

    private static void CompareRequestBody(List<string> problems, string where, JsonObject? published, JsonObject? served)
    {
        if (published is null || served is null)
        {
            if (published is not null || served is not null)
            {
                problems.Add($"{where}: {(published is null ? "served but not published" : "published but not served")}");
            }

            return;
        }

        CompareContent(problems, where, published["content"] as JsonObject, served["content"] as JsonObject);
    }

    private static void CompareResponses(List<string> problems, string where, JsonObject published, JsonObject served)
    {
        foreach (var (status, publishedResponse) in published)
        {
            if (served[status] is not JsonObject servedResponse)
            {
                problems.Add($"{where} > response {status}: published but not served");
            }
            else if (status.StartsWith('2'))
            {
                CompareContent(problems, $"{where} > response {status}", Object(publishedResponse)["content"] as JsonObject, servedResponse["content"] as JsonObject);
            }
        }

        foreach (var (status, servedResponse) in served)
        {
            if (status.StartsWith('2'))
            {
                if (!published.ContainsKey(status))
                {
                    problems.Add($"{where} > response {status}: a success response that is not in the published description");
                }
            }
            else
            {
                CheckErrorBody(problems, $"{where} > response {status}", Object(servedResponse));
            }
        }
    }

    private static void CompareContent(List<string> problems, string where, JsonObject? published, JsonObject? served)
    {
        var publishedTypes = published?.Select(media => media.Key).ToList() ?? [];
        var servedTypes = served?.Select(media => media.Key).ToList() ?? [];
        if (!publishedTypes.Order(StringComparer.Ordinal).SequenceEqual(servedTypes.Order(StringComparer.Ordinal)))
        {
            problems.Add($"{where}: media types are [{string.Join(", ", servedTypes)}] but published [{string.Join(", ", publishedTypes)}]"
                + (publishedTypes.Count == 0 ? " (no body)" : ""));
        }

        foreach (var type in publishedTypes.Intersect(servedTypes))
        {
            CompareSchema(problems, $"{where} > {type}", published![type]?["schema"], served![type]?["schema"]);
        }
    }

    private static void CompareSchema(List<string> problems, string where, JsonNode? published, JsonNode? served)
    {
        foreach (var keyword in SchemaKeywords)
        {
            Same(problems, $"{where}.{keyword}", published?[keyword], served?[keyword]);
        }

        if (published?["properties"] is not null || served?["properties"] is not null)
        {
            CompareProperties(problems, where, Object(published?["properties"]), Object(served?["properties"]));
            Same(problems, $"{where}.required", Sorted(published?["required"]), Sorted(served?["required"]));
        }

        if (published?["items"] is not null || served?["items"] is not null)
        {
            CompareSchema(problems, $"{where}.items", published?["items"], served?["items"]);
        }
    }

    private static void CompareProperties(List<string> problems, string where, JsonObject published, JsonObject served)
    {
        var publishedNames = published.Select(property => property.Key).ToList();
        var servedNames = served.Select(property => property.Key).ToList();
        foreach (var name in publishedNames.Except(servedNames))
        {
            problems.Add($"{where}.properties.{name}: published but not served");
        }

        foreach (var name in servedNames.Except(publishedNames))
        {
            problems.Add($"{where}.properties.{name}: served but not in the published description");
        }

        var commonOrder = publishedNames.Intersect(servedNames).ToList();
        if (!commonOrder.SequenceEqual(servedNames.Intersect(publishedNames)))
        {
            problems.Add($"{where}.properties: served in the order [{string.Join(", ", servedNames)}] but published [{string.Join(", ", publishedNames)}]");
        }

        foreach (var name in commonOrder)
        {
            CompareSchema(problems, $"{where}.properties.{name}", published[name], served[name]);
        }
    }

    /// <summary>An error response carries the contract's error body: integer <c>code</c> and string <c>message</c>, both required.</summary>
    private static void CheckErrorBody(List<string> problems, string where, JsonObject response)
    {
        if (response["content"]?["application/json"]?["schema"] is not JsonObject schema)
        {
            problems.Add($"{where}: has no application/json body schema (the error body)");
            return;
        }

        if (Text(schema["type"]) != "object")
        {
            problems.Add($"{where}: error body type is {Canonical(schema["type"])}, not object");
        }

        foreach (var (property, type) in new[] { ("code", "integer"), ("message", "string") })
        {
            if (Text(schema["properties"]?[property]?["type"]) != type)
            {
                problems.Add($"{where}: error body property '{property}' is {Canonical(schema["properties"]?[property]?["type"])}, not {type}");
            }

            if (!Array(schema["required"]).Any(name => Text(name) == property))
            {
                problems.Add($"{where}: error body property '{property}' is not required");
            }
        }
    }

    private static void CompareSecurity(List<string> problems, JsonObject published, JsonObject served)
    {
        var publishedSchemes = Object(published["components"]?["securitySchemes"]);
        var servedSchemes = Object(served["components"]?["securitySchemes"]);
        foreach (var (name, scheme) in publishedSchemes)
        {
            if (servedSchemes[name] is not JsonObject servedScheme)
            {
                problems.Add($"components.securitySchemes.{name}: published but not served");
                continue;
            }

            foreach (var keyword in SecuritySchemeKeywords)
            {
                Same(problems, $"components.securitySchemes.{name}.{keyword}", scheme?[keyword], servedScheme[keyword]);
            }
        }

        foreach (var (name, _) in servedSchemes.Where(scheme => !publishedSchemes.ContainsKey(scheme.Key)))
        {
            problems.Add($"components.securitySchemes.{name}: served but not in the published description");
        }

        var servedGlobal = Array(served["security"]).Select(Canonical).ToHashSet(StringComparer.Ordinal);
        foreach (var requirement in Array(published["security"]).Select(Canonical))
        {
            foreach (var (path, method, operation) in Operations(served))
            {
                var applies = operation["security"] is JsonArray own
                    ? own.Select(Canonical).Contains(requirement)
                    : servedGlobal.Contains(requirement);
                if (!applies)
                {
                    problems.Add($"{method.ToUpperInvariant()} {path}: security requirement {requirement} applies neither globally nor to the operation");
                }
            }
        }
    }

    private static void Same(List<string> problems, string where, JsonNode? published, JsonNode? served)
    {
        var isAdditionalProperties = where.EndsWith(".additionalProperties", StringComparison.Ordinal);
        var expected = CanonicalValue(published, isAdditionalProperties);
        var actual = CanonicalValue(served, isAdditionalProperties);
        if (expected != actual)
        {
            problems.Add($"{where}: served {actual} but published {expected}");
        }
    }

    /// <summary>A comparable text: numbers by value (<c>0.0</c> is <c>0</c>), objects and arrays member by member.</summary>
    private static string Canonical(JsonNode? node) => CanonicalValue(node, false);

    private static string CanonicalValue(JsonNode? node, bool isAdditionalProperties) => node switch
    {
        null => "(absent)",
        JsonObject { Count: 0 } when isAdditionalProperties => "true", // {} allows any value, as true does
        JsonObject obj => "{" + string.Join(", ", obj.Select(member => $"{member.Key}: {Canonical(member.Value)}")) + "}",
        JsonArray array => "[" + string.Join(", ", array.Select(Canonical)) + "]",
        JsonValue value when value.GetValueKind() is JsonValueKind.Number =>
            double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };

    private static JsonArray? Sorted(JsonNode? names) =>
        names is JsonArray array ? new JsonArray([.. array.Select(Text).Order(StringComparer.Ordinal).Select(name => JsonValue.Create(name))]) : null;

    private static JsonObject Object(JsonNode? node) => node as JsonObject ?? [];

    private static JsonArray Array(JsonNode? node) => node as JsonArray ?? [];

    private static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() is JsonValueKind.String ? value.GetValue<string>() : null;
}
