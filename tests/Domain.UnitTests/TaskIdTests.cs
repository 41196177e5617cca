using TaskService.Domain.Common;
using TaskService.Domain.Tasks;

namespace TaskService.Domain.UnitTests;

[TestFixture]
public sealed class TaskIdTests
{
    private const string Valid = "0123456789abcdef0123456789abcdef";

    [Test]
    public void New_WhenCalled_Is32LowercaseHex()
    {
        var id = TaskId.New();

        Assert.Multiple(() =>
        {
            Assert.That(id.Value, Does.Match("^[0-9a-f]{32}$"));
            Assert.That(TaskId.IsValid(id.Value), Is.True);
            Assert.That(id.ToString(), Is.EqualTo(id.Value));
        });
    }

    [Test]
    public void New_WhenCalledTwice_GivesDifferentIds()
    {
        var first = TaskId.New();
        var second = TaskId.New();

        Assert.That(second.Value, Is.Not.EqualTo(first.Value));
    }

    [Test]
    public void New_WhenCalledManyTimes_NeverRepeats()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => TaskId.New().Value).ToList();

        Assert.That(ids, Is.Unique);
    }

    [TestCase(Valid)]
    [TestCase("ffffffffffffffffffffffffffffffff")]
    [TestCase("00000000000000000000000000000000")]
    public void IsValid_WhenLowercaseHexOf32_ReturnsTrue(string value)
    {
        Assert.That(TaskId.IsValid(value), Is.True);
    }

    [TestCase("0123456789ABCDEF0123456789abcdef", TestName = "IsValid_WhenUppercase_ReturnsFalse")]
    [TestCase("0123456789abcdef0123456789abcde", TestName = "IsValid_When31Chars_ReturnsFalse")]
    [TestCase("0123456789abcdef0123456789abcdef0", TestName = "IsValid_When33Chars_ReturnsFalse")]
    [TestCase("0123456789abcdef0123456789abcdeg", TestName = "IsValid_WhenNonHexLetter_ReturnsFalse")]
    [TestCase("0123456789abcdef-123456789abcdef", TestName = "IsValid_WhenDash_ReturnsFalse")]
    [TestCase(" 123456789abcdef0123456789abcdef", TestName = "IsValid_WhenSpace_ReturnsFalse")]
    [TestCase("0123456789abcdef0123456789abcde\u0661", TestName = "IsValid_WhenNonAsciiDigit_ReturnsFalse")]
    [TestCase("", TestName = "IsValid_WhenEmpty_ReturnsFalse")]
    [TestCase(null, TestName = "IsValid_WhenNull_ReturnsFalse")]
    public void IsValid_WhenMalformed_ReturnsFalse(string? value)
    {
        Assert.That(TaskId.IsValid(value), Is.False);
    }

    [Test]
    public void Parse_WhenValid_KeepsValueAndEqualsSameValue()
    {
        var id = TaskId.Parse(Valid);

        Assert.Multiple(() =>
        {
            Assert.That(id.Value, Is.EqualTo(Valid));
            Assert.That(id, Is.EqualTo(TaskId.Parse(Valid)));
            Assert.That(id.GetHashCode(), Is.EqualTo(TaskId.Parse(Valid).GetHashCode()));
        });
    }

    [TestCase("0123456789ABCDEF0123456789ABCDEF")]
    [TestCase("0123456789abcdef0123456789abcde")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    [TestCase("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    [TestCase("")]
    [TestCase(null)]
    public void Parse_WhenMalformed_ThrowsDomainException(string? value)
    {
        Assert.That(() => TaskId.Parse(value!), Throws.TypeOf<DomainException>().With.Message.Contains("not a task id"));
    }
}
