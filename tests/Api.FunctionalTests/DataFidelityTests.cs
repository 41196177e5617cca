using System.Net;
using System.Text.Json.Nodes;
using TaskService.Api.FunctionalTests.Support;

namespace TaskService.Api.FunctionalTests;

/// <summary><c>data</c> comes back exactly as sent, from the create response and from a later read.</summary>
public sealed class DataFidelityTests(string provider) : ApiTestBase(provider)
{
    private static readonly string[] Documents =
    [
        """{}""",
        """{"int":1,"fraction":1.0,"half":0.5,"negative":-7,"big":9223372036854775807,"small":-9223372036854775808,"tiny":0.001,"tinier":1.0E-7,"int32max":2147483647,"beyond32":2147483648}""",
        """{"z":1,"a":2,"m":{"z":[],"a":{}}}""",
        """{"text":"héllo wörld ✓ 日本語 😀","escaped":"line\nbreak \"quoted\" \\ slash","empty":""}""",
        """{"nested":{"array":[1,2.5,"three",true,false,null,{"deep":[[[]]]}]},"flag":false,"nothing":null}""",
        """{"dotted.key":1,"$dollar":2,"mid$dle":3,"100%":4,"%2E":5,"a.b.c":{"$in":[1],"x.y":"z"}}""",
    ];

    [TestCaseSource(nameof(Documents))]
    public async Task Data_RoundTripsExactly(string data)
    {
        var created = await CreateTaskAsync(NewTask(data: data));
        var read = await GetTaskAsync(created["id"]!.GetValue<string>());

        // Fractions come back in their shortest round-trip form: 1.0E-7 is returned as 1E-07, the same double.
        var expected = JsonNode.Parse(data.Replace("1.0E-7", "1E-07", StringComparison.Ordinal))!.ToJsonString();
        Assert.That(created["data"]!.ToJsonString(), Is.EqualTo(expected));
        Assert.That(read["data"]!.ToJsonString(), Is.EqualTo(created["data"]!.ToJsonString()));
    }

    [Test]
    public async Task Data_KeepsIntegersAndFractionsApart()
    {
        var created = await CreateTaskAsync(NewTask(data: """{"i":10,"f":10.0,"e":1e2}"""));
        using var response = await Client.GetAsync($"/v1/tasks/{created["id"]}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(text, Does.Contain("\"i\":10,").And.Contain("\"f\":10.0,").And.Contain("\"e\":100.0}"));
    }

    [Test]
    public async Task Data_DeeplyNested_RoundTrips()
    {
        var data = string.Concat(Enumerable.Repeat("{\"n\":", 40)) + "1" + new string('}', 40);
        var created = await CreateTaskAsync(NewTask(data: data));
        Assert.That((await GetTaskAsync(created["id"]!.GetValue<string>()))["data"]!.ToJsonString(), Is.EqualTo(data));
    }

    [Test]
    public async Task Data_WhenDuplicateKey_Returns400NamingIt()
    {
        var json = NewTask().ToJsonString().Replace("\"data\":{\"k\":1}", "\"data\":{\"k\":1,\"k\":2}", StringComparison.Ordinal);
        using var response = await SendJsonAsync(HttpMethod.Post, "/v1/tasks", json);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/data/k");
    }

    [Test]
    public async Task Data_WhenIntegerBeyond64Bits_Returns400()
    {
        var body = NewTask();
        body["data"] = JsonNode.Parse("""{"huge":123456789012345678901234567890}""");
        using var response = await PostAsync(body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "/data/huge");
    }

    [Test]
    public async Task Data_OnUpdate_RoundTripsExactly()
    {
        var created = await CreateTaskAsync();
        const string data = """{"b.c":{"$x":1.5},"a":[9223372036854775807]}""";
        using var response = await PutAsync(created["id"]!.GetValue<string>(), UpdateBody(data: data));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await GetTaskAsync(created["id"]!.GetValue<string>()))["data"]!.ToJsonString(), Is.EqualTo(data));
    }
}
