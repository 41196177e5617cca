using System.Net;
using TaskService.Api.FunctionalTests.Support;

namespace TaskService.Api.FunctionalTests;

public sealed class GetAndDeleteTaskTests(string provider) : ApiTestBase(provider)
{
    private const string UnknownId = "0123456789abcdef0123456789abcdef";

    [TestCase("abc")]
    [TestCase("0123456789ABCDEF0123456789ABCDEF")]
    [TestCase("0123456789abcdef0123456789abcde")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    [TestCase("0123456789abcdef0123456789abcdeg")]
    public async Task Get_WhenIdMalformed_Returns400(string id)
    {
        using var response = await Client.GetAsync($"/v1/tasks/{id}");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "taskId");
    }

    [Test]
    public async Task Get_WhenUnknown_Returns404()
    {
        using var response = await Client.GetAsync($"/v1/tasks/{UnknownId}");
        await AssertErrorAsync(response, HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Get_WhenQueryParameterGiven_Returns400()
    {
        var task = await CreateTaskAsync();
        using var response = await Client.GetAsync($"/v1/tasks/{task["id"]}?verbose=true");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "verbose");
    }

    [Test]
    public async Task Delete_WhenExists_Returns200WithEmptyBodyAndTheTaskIsGone()
    {
        var task = await CreateTaskAsync();

        using var response = await Client.DeleteAsync($"/v1/tasks/{task["id"]}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        using var read = await Client.GetAsync($"/v1/tasks/{task["id"]}");
        await AssertErrorAsync(read, HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Delete_WhenDeletedTwice_SecondReturns404()
    {
        var task = await CreateTaskAsync();
        using var first = await Client.DeleteAsync($"/v1/tasks/{task["id"]}");
        using var second = await Client.DeleteAsync($"/v1/tasks/{task["id"]}");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await AssertErrorAsync(second, HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Delete_FreesTheName()
    {
        var task = await CreateTaskAsync();
        using var deleted = await Client.DeleteAsync($"/v1/tasks/{task["id"]}");
        var again = await CreateTaskAsync(NewTask(task["name"]!.GetValue<string>()));
        Assert.That(again["id"]!.GetValue<string>(), Is.Not.EqualTo(task["id"]!.GetValue<string>()));
    }

    [Test]
    public async Task Delete_WhenIdMalformed_Returns400()
    {
        using var response = await Client.DeleteAsync("/v1/tasks/NOT-AN-ID");
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "taskId");
    }

    [Test]
    public async Task Delete_WhenUnknown_Returns404()
    {
        using var response = await Client.DeleteAsync($"/v1/tasks/{UnknownId}");
        await AssertErrorAsync(response, HttpStatusCode.NotFound);
    }
}
