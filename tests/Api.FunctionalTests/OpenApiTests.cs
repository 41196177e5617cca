using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TaskService.Api.FunctionalTests.Support;
using TaskService.TestSupport;

namespace TaskService.Api.FunctionalTests;

/// <summary>
/// The OpenAPI document the service serves: it is committed (so a change to it shows in review), it keeps the published
/// Task API description that clients are generated from, and Swagger UI shows it with a working Authorize button.
/// </summary>
[TestFixture]
public sealed partial class OpenApiTests
{
    private const string DocumentUrl = "/swagger/v1/swagger.json";
    private const string UpdateVariable = "UPDATE_OPENAPI";
    private const string RegenerateHint =
        $"If the change is intended, regenerate the file with `{UpdateVariable}=1 dotnet test tests/Api.FunctionalTests " +
        "--filter \"FullyQualifiedName~OpenApi\"` (the test then writes it) and commit it with the change.";

    private static readonly string CommittedPath = RepositoryRoot.Combine("docs", "openapi", "task.v1.json");
    private static readonly string PublishedPath = RepositoryRoot.Combine("docs", "openapi", "tidepool-api", "reference", "task.v1.yaml");

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private TaskServiceFactory _factory = null!;
    private HttpClient _anonymous = null!;
    private string _documentText = null!;
    private JsonObject _document = null!;

    [OneTimeSetUp]
    public async Task StartServiceAsync()
    {
        _factory = await TaskServiceFactory.CreateAsync("Sqlite");
        _anonymous = _factory.CreateClient();
        using var response = await _anonymous.GetAsync(DocumentUrl);
        _documentText = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), _documentText);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        _document = JsonNode.Parse(_documentText)!.AsObject();
    }

    [OneTimeTearDown]
    public async Task StopServiceAsync()
    {
        _anonymous.Dispose();
        await _factory.DisposeAsync();
    }

    [Test]
    public async Task ServedDocument_WhenNormalized_EqualsCommittedFile()
    {
        var served = Normalize(_documentText);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(CommittedPath)!);
            await File.WriteAllTextAsync(CommittedPath, served, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            await TestContext.Out.WriteLineAsync($"{UpdateVariable}=1: wrote {CommittedPath}.");
        }

        var committed = File.Exists(CommittedPath) ? (await File.ReadAllTextAsync(CommittedPath)).ReplaceLineEndings("\n") : null;
        var message = committed is null
            ? $"docs/openapi/task.v1.json does not exist. {RegenerateHint}"
            : $"docs/openapi/task.v1.json differs from the document the service serves at {DocumentUrl} ({FirstDifference(committed, served)}). {RegenerateHint}";
        Assert.That(committed, Is.EqualTo(served), message);
    }

    [Test]
    public void ServedDocument_WhenComparedWithThePublishedDescription_HasNoDifferences()
    {
        var published = OpenApiRefResolver.ResolveFile(PublishedPath);
        var served = OpenApiRefResolver.ResolveLocal(_document);
        Assert.That(
            OpenApiContract.Operations(published).Select(operation => operation.Operation["operationId"]!.GetValue<string>()),
            Is.EquivalentTo(new[] { "ListTasks", "CreateTask", "GetTask", "UpdateTask", "DeleteTask" }),
            $"{PublishedPath} did not load as expected.");

        var problems = OpenApiContract.Compare(published, served);

        Assert.That(problems, Is.Empty,
            $"The served document ({DocumentUrl}) differs from the published description ({PublishedPath}); " +
            $"fix src/Api/OpenApi/OpenApiConfiguration.cs:{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", problems)}");
    }

    /// <summary>
    /// The copy under docs/openapi/tidepool-api keeps the tests self-contained; where the shared workspace's copy of the
    /// published description sits beside the repository (as in CI), the two must not have drifted apart.
    /// </summary>
    [Test]
    public void VendoredDescription_WhenTheSharedCopyIsBeside_IsIdenticalToIt()
    {
        var shared = Path.GetFullPath(Path.Combine(RepositoryRoot.Path, "..", "shared", "tidepool-api", "reference"));
        var vendored = RepositoryRoot.Combine("docs", "openapi", "tidepool-api", "reference");
        if (!Directory.Exists(shared))
        {
            Assert.Pass($"No shared copy at {shared} to compare with; the vendored copy is used as it is.");
        }

        var sharedFiles = Directory.GetFiles(shared, "*", SearchOption.AllDirectories).Select(file => Path.GetRelativePath(shared, file)).Order(StringComparer.Ordinal).ToList();
        var vendoredFiles = Directory.GetFiles(vendored, "*", SearchOption.AllDirectories).Select(file => Path.GetRelativePath(vendored, file)).Order(StringComparer.Ordinal).ToList();
        Assert.That(vendoredFiles, Is.EqualTo(sharedFiles));
        foreach (var file in sharedFiles)
        {
            Assert.That(File.ReadAllText(Path.Combine(vendored, file)), Is.EqualTo(File.ReadAllText(Path.Combine(shared, file))), file);
        }
    }

    [Test]
    public void ServedDocument_WhenGenerated_NamesItsSchemasAsPublished()
    {
        var schemas = _document["components"]?["schemas"]?.AsObject().Select(schema => schema.Key).ToList();
        var operations = OpenApiContract.Operations(_document).ToDictionary(operation => operation.Operation["operationId"]!.GetValue<string>(), operation => operation.Operation);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(schemas, Is.SupersetOf(new[] { "Task", "NewTask", "UpdateTask", "Error" }));
            Assert.That(RequestSchema(operations["CreateTask"]), Is.EqualTo("#/components/schemas/NewTask"));
            Assert.That(RequestSchema(operations["UpdateTask"]), Is.EqualTo("#/components/schemas/UpdateTask"));
            Assert.That(ResponseSchema(operations["ListTasks"], "200")?["items"]?["$ref"]?.GetValue<string>(), Is.EqualTo("#/components/schemas/Task"));
            foreach (var id in new[] { "CreateTask", "GetTask", "UpdateTask" })
            {
                Assert.That(ResponseSchema(operations[id], "200")?["$ref"]?.GetValue<string>(), Is.EqualTo("#/components/schemas/Task"), id);
            }

            foreach (var (id, operation) in operations)
            {
                foreach (var (status, _) in operation["responses"]!.AsObject().Where(response => !response.Key.StartsWith('2')))
                {
                    Assert.That(ResponseSchema(operation, status)?["$ref"]?.GetValue<string>(), Is.EqualTo("#/components/schemas/Error"), $"{id} {status}");
                }
            }
        }
    }

    [TestCase("/swagger")]
    [TestCase("/swagger/index.html")]
    public async Task SwaggerUi_WhenOpened_ShowsTheServedDocument(string path)
    {
        using var response = await _anonymous.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
            Assert.That(html, Does.Contain("<div id=\"swagger-ui\">").And.Contain("swagger-ui-bundle.js").And.Contain("SwaggerUIBundle("));
            Assert.That(ConfiguredDocumentUrls(response.RequestMessage!.RequestUri!, html), Does.Contain(DocumentUrl),
                $"Swagger UI at {response.RequestMessage.RequestUri} is not configured to load {DocumentUrl}:{Environment.NewLine}{html}");
        }

        using var bundle = await _anonymous.GetAsync(new Uri(response.RequestMessage.RequestUri!, "swagger-ui-bundle.js"));
        Assert.That(bundle.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Swagger UI's script is not served.");
    }

    [Test]
    public void SecurityScheme_WhenServed_MakesAuthorizeSendTheSessionTokenHeaderOnEveryOperation()
    {
        var scheme = _document["components"]?["securitySchemes"]?["serverToken"];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(scheme?["type"]?.GetValue<string>(), Is.EqualTo("apiKey"));
            Assert.That(scheme?["in"]?.GetValue<string>(), Is.EqualTo("header"));
            Assert.That(scheme?["name"]?.GetValue<string>(), Is.EqualTo("X-Tidepool-Session-Token"));
            Assert.That(_document["security"]?.AsArray().Select(requirement => requirement?.ToJsonString()), Does.Contain("""{"serverToken":[]}"""));
            foreach (var (path, method, operation) in OpenApiContract.Operations(_document))
            {
                Assert.That(operation["security"], Is.Null, $"{method} {path} overrides the global security requirement.");
            }
        }
    }

    [Test]
    public async Task ListTasks_WhenSentWithTheDocumentedApiKeyHeader_Returns200()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tasks");
        request.Headers.Add(DocumentedApiKeyHeader(), TaskServiceFactory.ServerToken);
        using var response = await _anonymous.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task ListTasks_WhenSentWithoutTheDocumentedApiKeyHeader_Returns401()
    {
        using var response = await _anonymous.GetAsync("/v1/tasks");
        await ApiAssert.ErrorAsync(response, HttpStatusCode.Unauthorized);
    }

    /// <summary>
    /// The served document as it is committed: indented JSON in the order NSwag writes it, without <c>servers</c>, which NSwag
    /// fills with the host of each request (here the test host) and so says nothing about the API.
    /// </summary>
    private static string Normalize(string json)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        document.Remove("servers");
        return document.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
    }

    private static string FirstDifference(string committed, string served)
    {
        var committedLines = committed.Split('\n');
        var servedLines = served.Split('\n');
        for (var line = 0; line < Math.Max(committedLines.Length, servedLines.Length); line++)
        {
            var was = line < committedLines.Length ? committedLines[line].Trim() : "(end of file)";
            var now = line < servedLines.Length ? servedLines[line].Trim() : "(end of document)";
            if (was != now)
            {
                return $"first difference at line {line + 1}: committed `{was}`, served `{now}`";
            }
        }

        return "they differ only in whitespace";
    }

    /// <summary>
    /// The documents a Swagger UI page loads: its <c>url</c>/<c>urls</c> settings, or the page's own <c>?url=</c> query when
    /// its script reads the document from there (NSwag's single-document page does).
    /// </summary>
    private static List<string> ConfiguredDocumentUrls(Uri page, string html)
    {
        var urls = ConfiguredUrl().Matches(html).Select(match => match.Groups["url"].Value).ToList();
        if (html.Contains("window.location.search.match(/url=", StringComparison.Ordinal))
        {
            var query = QueryUrl().Match(page.Query);
            if (query.Success)
            {
                urls.Add(Uri.UnescapeDataString(query.Groups["url"].Value));
            }
        }

        return urls;
    }

    private string DocumentedApiKeyHeader()
    {
        var scheme = _document["components"]!["securitySchemes"]!["serverToken"]!;
        Assert.That(scheme["in"]!.GetValue<string>(), Is.EqualTo("header"));
        return scheme["name"]!.GetValue<string>();
    }

    private static string? RequestSchema(JsonObject operation) =>
        operation["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>();

    private static JsonNode? ResponseSchema(JsonObject operation, string status) =>
        operation["responses"]?[status]?["content"]?["application/json"]?["schema"];

    [GeneratedRegex("""["']?\burl["']?\s*:\s*["'](?<url>[^"']+)["']""")]
    private static partial Regex ConfiguredUrl();

    [GeneratedRegex("[?&]url=(?<url>[^&]+)")]
    private static partial Regex QueryUrl();
}
