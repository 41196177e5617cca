using System.Text.Json;
using TaskService.Application.Common.Validation;
using TaskService.Application.Tasks.Commands.CreateTask;
using TaskService.Application.Tasks.Commands.DeleteTask;
using TaskService.Application.Tasks.Commands.UpdateTask;
using TaskService.Application.Tasks.Queries.GetTask;
using TaskService.Application.Tasks.Queries.ListTasks;

namespace TaskService.Application.UnitTests;

[TestFixture]
public sealed class CreateTaskCommandValidatorTests
{
    private static readonly CreateTaskCommand Valid = Commands.ValidCreate();

    private static List<ValidationFailure> Validate(CreateTaskCommand command) =>
        new CreateTaskCommandValidator(Clock.Fake()).Validate(command).ToList();

    [Test]
    public void Validate_WhenValid_GivesNoFailures()
    {
        Assert.That(Validate(Valid), Is.Empty);
    }

    [Test]
    public void Validate_WhenBoundaryValues_GivesNoFailures()
    {
        var command = Valid with
        {
            Name = "x",
            Type = "y",
            Priority = int.MaxValue,
            Data = Json.Element("{}"),
            AvailableTime = Clock.Now.AddYears(-1),
            ExpirationTime = Clock.Now.AddMilliseconds(1),
        };

        Assert.That(Validate(command), Is.Empty);
    }

    public static IEnumerable<TestCaseData> SingleRuleViolations()
    {
        yield return Case("NameMissing", Valid with { Name = null }, "/name", "required");
        yield return Case("NameEmpty", Valid with { Name = "" }, "/name", "empty");
        yield return Case("TypeMissing", Valid with { Type = null }, "/type", "required");
        yield return Case("TypeEmpty", Valid with { Type = "" }, "/type", "empty");
        yield return Case("PriorityMissing", Valid with { Priority = null }, "/priority", "required");
        yield return Case("PriorityNegative", Valid with { Priority = -1 }, "/priority", "0 to 2147483647");
        yield return Case("PriorityMinValue", Valid with { Priority = int.MinValue }, "/priority", "0 to 2147483647");
        yield return Case("DataMissing", Valid with { Data = null }, "/data", "required");
        yield return Case("DataJsonNull", Valid with { Data = Json.Element("null") }, "/data", "required");
        yield return Case("DataArray", Valid with { Data = Json.Element("[1]") }, "/data", "JSON object");
        yield return Case("DataString", Valid with { Data = Json.Element("\"{}\"") }, "/data", "JSON object");
        yield return Case("DataNumber", Valid with { Data = Json.Element("3") }, "/data", "JSON object");
        yield return Case("DataUndefinedElement", Valid with { Data = default(JsonElement) }, "/data", "JSON object");
        yield return Case("DataDuplicateKey", Valid with { Data = Json.Element("""{"a":{"b":1,"b":2}}""") }, "/data/a/b", "duplicate");
        yield return Case("DataDuplicateKeyInArray", Valid with { Data = Json.Element("""{"list":[{},{"k":1,"k":1}]}""") }, "/data/list/1/k", "duplicate");
        yield return Case("DataIntegerTooBig", Valid with { Data = Json.Element("""{"n":9223372036854775808}""") }, "/data/n", "64-bit");
        yield return Case("AvailableTimeMissing", Valid with { AvailableTime = null }, "/availableTime", "required");
        yield return Case("ExpirationTimeMissing", Valid with { ExpirationTime = null }, "/expirationTime", "required");
        yield return Case("ExpirationEqualsAvailable", Valid with { ExpirationTime = Valid.AvailableTime }, "/expirationTime", "later than availableTime");
        yield return Case("ExpirationBeforeAvailable", Valid with { ExpirationTime = Valid.AvailableTime!.Value.AddSeconds(-1) }, "/expirationTime", "later than availableTime");
        yield return Case(
            "ExpirationSameMillisecondAsAvailable",
            Valid with { AvailableTime = Clock.Now.AddMinutes(1), ExpirationTime = Clock.Now.AddMinutes(1).AddTicks(1000) },
            "/expirationTime",
            "later than availableTime");
        yield return Case(
            "ExpirationEqualsNow",
            Valid with { AvailableTime = Clock.Now.AddHours(-1), ExpirationTime = Clock.Now },
            "/expirationTime",
            "in the future");
        yield return Case(
            "ExpirationInSameMillisecondAsNow",
            Valid with { AvailableTime = Clock.Now.AddHours(-1), ExpirationTime = Clock.Now.AddTicks(2000) },
            "/expirationTime",
            "in the future");
        yield return Case(
            "ExpirationInPast",
            Valid with { AvailableTime = Clock.Now.AddHours(-2), ExpirationTime = Clock.Now.AddHours(-1) },
            "/expirationTime",
            "in the future");
        yield return Case(
            "ExpirationInPastWithOtherOffset",
            Valid with
            {
                AvailableTime = Clock.Now.AddHours(-2),
                ExpirationTime = Clock.Now.AddSeconds(-1).ToOffset(TimeSpan.FromHours(2)),
            },
            "/expirationTime",
            "in the future");
    }

    [TestCaseSource(nameof(SingleRuleViolations))]
    public void Validate_WhenOneRuleBroken_GivesOneFailureWithItsSource(CreateTaskCommand command, string source, string message)
    {
        var failures = Validate(command);

        Assert.That(failures, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(failures[0].Source, Is.EqualTo(source));
            Assert.That(failures[0].Message, Does.Contain(message));
        });
    }

    [Test]
    public void Validate_WhenEverythingMissing_ReportsEveryField()
    {
        var failures = Validate(new CreateTaskCommand(null, null, null, null, null, null));

        Assert.That(failures.Select(failure => failure.Source),
            Is.EqualTo(new[] { "/name", "/type", "/priority", "/data", "/availableTime", "/expirationTime" }));
    }

    [Test]
    public void Validate_WhenExpirationInPastAndBeforeAvailable_ReportsBoth()
    {
        var failures = Validate(Valid with { AvailableTime = Clock.Now.AddHours(-1), ExpirationTime = Clock.Now.AddHours(-2) });

        Assert.Multiple(() =>
        {
            Assert.That(failures.Select(failure => failure.Source), Is.All.EqualTo("/expirationTime"));
            Assert.That(failures.Select(failure => failure.Message),
                Has.Some.Contains("later than availableTime").And.Some.Contains("in the future"));
            Assert.That(failures, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void Validate_WhenAvailableMissingAndExpirationPast_ReportsBoth()
    {
        var failures = Validate(Valid with { AvailableTime = null, ExpirationTime = Clock.Now.AddHours(-1) });

        Assert.That(failures.Select(failure => failure.Source), Is.EqualTo(new[] { "/availableTime", "/expirationTime" }));
    }

    [Test]
    public void Validate_WhenClockMoves_UsesTheCurrentTime()
    {
        var clock = Clock.Fake();
        var validator = new CreateTaskCommandValidator(clock);
        var command = Valid with { ExpirationTime = Clock.Now.AddMinutes(10) };
        Assume.That(validator.Validate(command), Is.Empty);

        clock.Advance(TimeSpan.FromMinutes(10));

        Assert.That(validator.Validate(command).Select(failure => failure.Source), Is.EqualTo(new[] { "/expirationTime" }));
    }

    private static TestCaseData Case(string name, CreateTaskCommand command, string source, string message) =>
        new TestCaseData(command, source, message).SetArgDisplayNames(name);
}

[TestFixture]
public sealed class UpdateTaskCommandValidatorTests
{
    private const string Id = "0123456789abcdef0123456789abcdef";
    private static readonly UpdateTaskCommand Valid = Commands.ValidUpdate(Id);

    private static List<ValidationFailure> Validate(UpdateTaskCommand command) =>
        new UpdateTaskCommandValidator(Clock.Fake()).Validate(command).ToList();

    [Test]
    public void Validate_WhenValid_GivesNoFailures()
    {
        Assert.That(Validate(Valid), Is.Empty);
    }

    public static IEnumerable<TestCaseData> SingleRuleViolations()
    {
        var body = Valid.Update;
        yield return Case("TaskIdUppercase", Valid with { TaskId = Id.ToUpperInvariant() }, "taskId");
        yield return Case("TaskIdShort", Valid with { TaskId = Id[..31] }, "taskId");
        yield return Case("TaskIdEmpty", Valid with { TaskId = "" }, "taskId");
        yield return Case("PriorityMissing", Valid with { Update = body with { Priority = null } }, "/priority");
        yield return Case("PriorityNegative", Valid with { Update = body with { Priority = -5 } }, "/priority");
        yield return Case("DataMissing", Valid with { Update = body with { Data = null } }, "/data");
        yield return Case("DataArray", Valid with { Update = body with { Data = Json.Element("[]") } }, "/data");
        yield return Case("DataDuplicateKey", Valid with { Update = body with { Data = Json.Element("""{"x":1,"x":2}""") } }, "/data/x");
        yield return Case("AvailableTimeMissing", Valid with { Update = body with { AvailableTime = null } }, "/availableTime");
        yield return Case("ExpirationTimeMissing", Valid with { Update = body with { ExpirationTime = null } }, "/expirationTime");
        yield return Case("ExpirationNotAfterAvailable", Valid with { Update = body with { ExpirationTime = body.AvailableTime } }, "/expirationTime");
        yield return Case(
            "ExpirationInPast",
            Valid with { Update = body with { AvailableTime = Clock.Now.AddHours(-2), ExpirationTime = Clock.Now.AddSeconds(-1) } },
            "/expirationTime");
    }

    [TestCaseSource(nameof(SingleRuleViolations))]
    public void Validate_WhenOneRuleBroken_GivesOneFailureWithItsSource(UpdateTaskCommand command, string source)
    {
        Assert.That(Validate(command).Select(failure => failure.Source), Is.EqualTo(new[] { source }));
    }

    [Test]
    public void Validate_WhenEverythingWrong_ReportsEveryField()
    {
        var failures = Validate(new UpdateTaskCommand("nope", new TaskUpdate(null, null, null, null)));

        Assert.That(failures.Select(failure => failure.Source),
            Is.EqualTo(new[] { "taskId", "/priority", "/data", "/availableTime", "/expirationTime" }));
    }

    private static TestCaseData Case(string name, UpdateTaskCommand command, string source) =>
        new TestCaseData(command, source).SetArgDisplayNames(name);
}

[TestFixture]
public sealed class ListTasksQueryValidatorTests
{
    private static List<ValidationFailure> Validate(ListTasksQuery query) => new ListTasksQueryValidator().Validate(query).ToList();

    [TestCase(null, null, null, null, null)]
    [TestCase("n", "t", "pending", 0, 1)]
    [TestCase("n", "t", "running", 5, 1000)]
    [TestCase(null, null, "completed", int.MaxValue, 100)]
    [TestCase(null, null, "failed", null, null)]
    public void Validate_WhenValid_GivesNoFailures(string? name, string? type, string? state, int? page, int? size)
    {
        Assert.That(Validate(new ListTasksQuery(name, type, state, page, size)), Is.Empty);
    }

    [TestCase("", null, null, null, null, "name")]
    [TestCase(null, "", null, null, null, "type")]
    [TestCase(null, null, "", null, null, "state")]
    [TestCase(null, null, "unknown", null, null, "state")]
    [TestCase(null, null, "Pending", null, null, "state")]
    [TestCase(null, null, "RUNNING", null, null, "state")]
    [TestCase(null, null, " pending", null, null, "state")]
    [TestCase(null, null, null, -1, null, "page")]
    [TestCase(null, null, null, int.MinValue, null, "page")]
    [TestCase(null, null, null, null, 0, "size")]
    [TestCase(null, null, null, null, -1, "size")]
    [TestCase(null, null, null, null, 1001, "size")]
    [TestCase(null, null, null, null, int.MaxValue, "size")]
    public void Validate_WhenOneParameterInvalid_GivesFailureNamingIt(string? name, string? type, string? state, int? page, int? size, string source)
    {
        Assert.That(Validate(new ListTasksQuery(name, type, state, page, size)).Select(failure => failure.Source),
            Is.EqualTo(new[] { source }));
    }

    [Test]
    public void Validate_WhenEveryParameterInvalid_ReportsEach()
    {
        Assert.That(Validate(new ListTasksQuery("", "", "done", -1, 0)).Select(failure => failure.Source),
            Is.EqualTo(new[] { "name", "type", "state", "page", "size" }));
    }
}

[TestFixture]
public sealed class GetTaskQueryValidatorTests
{
    [TestCase("0123456789abcdef0123456789abcdef")]
    [TestCase("ffffffffffffffffffffffffffffffff")]
    public void Validate_WhenTaskIdValid_GivesNoFailures(string taskId)
    {
        Assert.That(new GetTaskQueryValidator().Validate(new GetTaskQuery(taskId)), Is.Empty);
    }

    [TestCase("0123456789ABCDEF0123456789abcdef")]
    [TestCase("0123456789abcdef0123456789abcde")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    [TestCase("0123456789abcdef0123456789abcdeg")]
    [TestCase("")]
    [TestCase(null)]
    public void Validate_WhenTaskIdMalformed_GivesTaskIdFailure(string? taskId)
    {
        var failures = new GetTaskQueryValidator().Validate(new GetTaskQuery(taskId!)).ToList();

        Assert.That(failures.Select(failure => failure.Source), Is.EqualTo(new[] { "taskId" }));
    }
}

[TestFixture]
public sealed class DeleteTaskCommandValidatorTests
{
    [Test]
    public void Validate_WhenTaskIdValid_GivesNoFailures()
    {
        Assert.That(new DeleteTaskCommandValidator().Validate(new DeleteTaskCommand("0123456789abcdef0123456789abcdef")), Is.Empty);
    }

    [TestCase("0123456789ABCDEF0123456789abcdef")]
    [TestCase("0123456789abcdef0123456789abcde")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    [TestCase("not-a-task-id-not-a-task-id-abcd")]
    [TestCase("")]
    [TestCase(null)]
    public void Validate_WhenTaskIdMalformed_GivesTaskIdFailure(string? taskId)
    {
        var failures = new DeleteTaskCommandValidator().Validate(new DeleteTaskCommand(taskId!)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(failures.Select(failure => failure.Source), Is.EqualTo(new[] { "taskId" }));
            Assert.That(failures[0].Message, Does.Contain("32 lowercase hexadecimal"));
        });
    }
}
