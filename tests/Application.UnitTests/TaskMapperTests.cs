using TaskService.Application.Tasks;
using TaskService.Domain.Tasks;

namespace TaskService.Application.UnitTests;

[TestFixture]
public sealed class TaskMapperTests
{
    private const string DataJson = """{"z":1,"a":[1.0,-2,0.5,"café"],"o":{"n":null,"t":true}}""";

    private static TaskSnapshot Snapshot(TaskState state) => new(
        Id: "00112233445566778899aabbccddeeff",
        Name: "the-name",
        Type: "the-type",
        Priority: 17,
        Data: TaskData.Parse(DataJson),
        AvailableTime: new DateTime(2030, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc),
        ExpirationTime: new DateTime(2030, 2, 2, 3, 4, 5, 7, DateTimeKind.Utc),
        State: state,
        Error: "the error",
        RunTime: new DateTime(2030, 1, 2, 3, 5, 0, 8, DateTimeKind.Utc),
        Duration: 12.345,
        CreatedTime: new DateTime(2030, 1, 1, 0, 0, 0, 9, DateTimeKind.Utc),
        ModifiedTime: new DateTime(2030, 1, 2, 3, 5, 12, 353, DateTimeKind.Utc),
        Attempts: 3,
        ClaimToken: "secret-claim",
        LeaseExpiresTime: new DateTime(2030, 1, 2, 3, 6, 0, DateTimeKind.Utc),
        Version: 42);

    [Test]
    public void ToDto_WhenEveryFieldSet_MapsEveryField()
    {
        var snapshot = Snapshot(TaskState.Failed);

        var dto = BackgroundTask.Restore(snapshot).ToDto();

        Assert.Multiple(() =>
        {
            Assert.That(dto.Id, Is.EqualTo(snapshot.Id));
            Assert.That(dto.Name, Is.EqualTo(snapshot.Name));
            Assert.That(dto.Type, Is.EqualTo(snapshot.Type));
            Assert.That(dto.Priority, Is.EqualTo(snapshot.Priority));
            Assert.That(dto.Data.GetRawText(), Is.EqualTo(DataJson));
            Assert.That(dto.AvailableTime, Is.EqualTo(snapshot.AvailableTime));
            Assert.That(dto.ExpirationTime, Is.EqualTo(snapshot.ExpirationTime));
            Assert.That(dto.State, Is.EqualTo("failed"));
            Assert.That(dto.Error, Is.EqualTo(snapshot.Error));
            Assert.That(dto.RunTime, Is.EqualTo(snapshot.RunTime));
            Assert.That(dto.Duration, Is.EqualTo(snapshot.Duration));
            Assert.That(dto.CreatedTime, Is.EqualTo(snapshot.CreatedTime));
            Assert.That(dto.ModifiedTime, Is.EqualTo(snapshot.ModifiedTime));
            Assert.That(dto.AvailableTime.Kind, Is.EqualTo(DateTimeKind.Utc));
        });
    }

    [Test]
    public void ToDto_WhenMapped_ExposesNoInternalBookkeeping()
    {
        var properties = typeof(TaskDto).GetProperties().Select(property => property.Name);

        Assert.That(properties, Is.EquivalentTo(new[]
        {
            "Id", "Name", "Type", "Priority", "Data", "AvailableTime", "ExpirationTime", "State", "Error", "RunTime",
            "Duration", "CreatedTime", "ModifiedTime",
        }));
    }

    [TestCase(TaskState.Pending, "pending")]
    [TestCase(TaskState.Running, "running")]
    [TestCase(TaskState.Completed, "completed")]
    [TestCase(TaskState.Failed, "failed")]
    public void ToDto_WhenState_MapsWireName(TaskState state, string wireName)
    {
        Assert.That(BackgroundTask.Restore(Snapshot(state)).ToDto().State, Is.EqualTo(wireName));
    }

    [Test]
    public void ToDto_WhenNoRunYet_LeavesOptionalFieldsNull()
    {
        var dto = Tasks.Pending().ToDto();

        Assert.Multiple(() =>
        {
            Assert.That(dto.Error, Is.Null);
            Assert.That(dto.RunTime, Is.Null);
            Assert.That(dto.Duration, Is.Null);
        });
    }

    [Test]
    public void ToDto_WhenData_IsObjectElementThatOutlivesTheMapping()
    {
        var dto = BackgroundTask.Restore(Snapshot(TaskState.Pending)).ToDto();

        Assert.Multiple(() =>
        {
            Assert.That(dto.Data.ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Object));
            Assert.That(dto.Data.GetProperty("a")[0].GetRawText(), Is.EqualTo("1.0"));
            Assert.That(dto.Data.GetProperty("a")[3].GetString(), Is.EqualTo("caf\u00e9"));
        });
    }
}
