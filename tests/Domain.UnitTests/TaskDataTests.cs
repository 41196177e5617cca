using System.Text;
using System.Text.Json;
using TaskService.Domain.Tasks;

namespace TaskService.Domain.UnitTests;

[TestFixture]
public sealed class TaskDataTests
{
    // ---- canonical form ----

    [TestCase("{}", "{}")]
    [TestCase(" { } ", "{}")]
    [TestCase("\n{\"a\":1}\r\n\t ", "{\"a\":1}", TestName = "Parse_WhenSurroundingWhitespace_Accepts")]
    [TestCase("{\"b\":1,\"a\":2,\"c\":3}", "{\"b\":1,\"a\":2,\"c\":3}", TestName = "Parse_WhenKeysUnsorted_KeepsKeyOrder")]
    [TestCase("{ \"a\" : [ 1 , 2 ] ,\n\t\"b\" : { } }", "{\"a\":[1,2],\"b\":{}}", TestName = "Parse_WhenWhitespace_IsCompact")]
    [TestCase("{\"o\":{\"z\":{\"y\":[{\"x\":[[],[null]]}]}}}", "{\"o\":{\"z\":{\"y\":[{\"x\":[[],[null]]}]}}}", TestName = "Parse_WhenNested_KeepsStructure")]
    [TestCase("{\"t\":true,\"f\":false,\"n\":null,\"s\":\"\"}", "{\"t\":true,\"f\":false,\"n\":null,\"s\":\"\"}", TestName = "Parse_WhenLiterals_KeepsThem")]
    [TestCase("{\"s\":\"caf\u00e9\"}", "{\"s\":\"caf\u00e9\"}", TestName = "Parse_WhenAccentedLetter_KeepsItUnescaped")]
    [TestCase("{\"s\":\"caf\\u00e9\"}", "{\"s\":\"caf\u00e9\"}", TestName = "Parse_WhenEscapedAccentedLetter_Unescapes")]
    [TestCase("{\"s\":\"\\u0041<>&'\"}", "{\"s\":\"A<>&'\"}", TestName = "Parse_WhenHtmlCharacters_KeepsThemUnescaped")]
    [TestCase("{\"s\":\"a\\\"b\\\\c\\nd\"}", "{\"s\":\"a\\\"b\\\\c\\nd\"}", TestName = "Parse_WhenRequiredEscapes_KeepsThem")]
    [TestCase("{\"\u00e9l\u00e8ve\":1}", "{\"\u00e9l\u00e8ve\":1}", TestName = "Parse_WhenUnicodeKey_KeepsIt")]
    public void Parse_WhenValid_GivesCanonicalText(string json, string expected)
    {
        Assert.That(TaskData.Parse(json).Json, Is.EqualTo(expected));
    }

    [Test]
    public void Parse_WhenEmoji_KeepsTheSameString()
    {
        const string emoji = "\U0001F680 launch";

        var data = TaskData.Parse($"{{\"s\":\"{emoji}\"}}");

        using var document = JsonDocument.Parse(data.Json);
        Assert.That(document.RootElement.GetProperty("s").GetString(), Is.EqualTo(emoji));
    }

    [Test]
    public void Parse_WhenEmojiRawOrEscaped_GivesSameCanonicalData()
    {
        // Characters outside the Basic Multilingual Plane are written as a \u surrogate pair escape by the JSON
        // encoder (unlike é, which stays raw); either way the stored string is the same.
        var raw = TaskData.Parse("{\"s\":\"\U0001F680\"}");
        var escaped = TaskData.Parse("{\"s\":\"\\ud83d\\ude80\"}");

        Assert.That(raw, Is.EqualTo(escaped));
    }

    // ---- numbers ----

    [TestCase("0", "0")]
    [TestCase("-0", "0")]
    [TestCase("42", "42")]
    [TestCase("-17", "-17")]
    [TestCase("9223372036854775807", "9223372036854775807", TestName = "Parse_WhenLongMaxValue_StaysInteger")]
    [TestCase("-9223372036854775808", "-9223372036854775808", TestName = "Parse_WhenLongMinValue_StaysInteger")]
    [TestCase("1.0", "1.0", TestName = "Parse_WhenOnePointZero_StaysFraction")]
    [TestCase("1.5", "1.5")]
    [TestCase("0.1", "0.1")]
    [TestCase("-2.50", "-2.5")]
    [TestCase("1e3", "1000.0", TestName = "Parse_WhenExponent_BecomesFraction")]
    [TestCase("1E3", "1000.0")]
    [TestCase("2.5e-3", "0.0025")]
    [TestCase("1e300", "1E+300")]
    [TestCase("100.000", "100.0")]
    public void Parse_WhenNumber_GivesCanonicalNumber(string number, string expected)
    {
        Assert.That(TaskData.Parse($"{{\"n\":{number}}}").Json, Is.EqualTo($"{{\"n\":{expected}}}"));
    }

    [TestCase("1.0")]
    [TestCase("1e3")]
    [TestCase("1e300")]
    [TestCase("0.1")]
    public void Parse_WhenFraction_ReadsBackAsNonInteger(string number)
    {
        var canonical = TaskData.Parse($"{{\"n\":{number}}}").Json;

        using var document = JsonDocument.Parse(canonical);
        var text = document.RootElement.GetProperty("n").GetRawText();
        Assert.That(text, Does.Contain('.').Or.Contain('E'), "a fraction must not read back as an integer");
    }

    [TestCase(1.0, "1.0")]
    [TestCase(0.1, "0.1")]
    [TestCase(-3.0, "-3.0")]
    [TestCase(1e21, "1E+21")]
    [TestCase(1.2345678901234567, "1.2345678901234567")]
    public void FormatFraction_WhenValue_GivesShortestFractionText(double value, string expected)
    {
        Assert.That(TaskData.FormatFraction(value), Is.EqualTo(expected));
    }

    [TestCase("9223372036854775808", TestName = "Parse_WhenIntegerAboveLongMax_Throws")]
    [TestCase("-9223372036854775809", TestName = "Parse_WhenIntegerBelowLongMin_Throws")]
    [TestCase("123456789012345678901234567890", TestName = "Parse_WhenHugeInteger_Throws")]
    public void Parse_WhenIntegerOutside64Bit_ThrowsWithPath(string number)
    {
        Assert.That(() => TaskData.Parse($"{{\"a\":[0,{{\"big\":{number}}}]}}"),
            Throws.TypeOf<InvalidTaskDataException>()
                .With.Property(nameof(InvalidTaskDataException.Path)).EqualTo("/a/1/big")
                .And.Message.Contains("64-bit"));
    }

    [TestCase("1e400")]
    [TestCase("-1e400")]
    public void Parse_WhenFractionOutsideDouble_ThrowsWithPath(string number)
    {
        Assert.That(() => TaskData.Parse($"{{\"f\":{number}}}"),
            Throws.TypeOf<InvalidTaskDataException>().With.Property(nameof(InvalidTaskDataException.Path)).EqualTo("/f"));
    }

    // ---- rejections ----

    [TestCase("[]")]
    [TestCase("[{}]")]
    [TestCase("1")]
    [TestCase("\"text\"")]
    [TestCase("null")]
    [TestCase("true")]
    public void Parse_WhenNotAnObject_ThrowsAtRoot(string json)
    {
        Assert.That(() => TaskData.Parse(json),
            Throws.TypeOf<InvalidTaskDataException>().With.Property(nameof(InvalidTaskDataException.Path)).Empty);
    }

    [TestCase("", TestName = "Parse_WhenEmptyText_Throws")]
    [TestCase("   ", TestName = "Parse_WhenOnlyWhitespace_Throws")]
    [TestCase("{", TestName = "Parse_WhenUnclosed_Throws")]
    [TestCase("{\"a\":}", TestName = "Parse_WhenValueMissing_Throws")]
    [TestCase("{'a':1}", TestName = "Parse_WhenSingleQuotes_Throws")]
    [TestCase("{\"a\":1,}", TestName = "Parse_WhenTrailingComma_Throws")]
    [TestCase("{/*c*/}", TestName = "Parse_WhenComment_Throws")]
    [TestCase("{a:1}", TestName = "Parse_WhenKeyUnquoted_Throws")]
    [TestCase("{\"a\":NaN}", TestName = "Parse_WhenNaN_Throws")]
    [TestCase("{\"a\":01}", TestName = "Parse_WhenLeadingZero_Throws")]
    [TestCase("{} {}", TestName = "Parse_WhenTwoObjects_Throws")]
    [TestCase("{}x", TestName = "Parse_WhenTrailingGarbage_Throws")]
    [TestCase("{\"s\":\"\\uD800\"}", TestName = "Parse_WhenLoneSurrogate_Throws")]
    public void Parse_WhenInvalidJson_ThrowsInvalidTaskData(string json)
    {
        Assert.That(() => TaskData.Parse(json), Throws.TypeOf<InvalidTaskDataException>());
    }

    [Test]
    public void Parse_WhenInvalidUtf8Bytes_ThrowsInvalidTaskData()
    {
        byte[] json = [.. "{\"s\":\""u8, 0xC3, 0x28, .. "\"}"u8];

        Assert.That(() => TaskData.Parse(json), Throws.TypeOf<InvalidTaskDataException>());
    }

    [TestCase("{\"a\":1,\"a\":2}", "/a")]
    [TestCase("{\"a\":1,\"b\":2,\"a\":1}", "/a")]
    [TestCase("{\"x\":{\"y\":[{\"k\":1,\"k\":2}]}}", "/x/y/0/k")]
    [TestCase("{\"a/b\":1,\"a/b\":2}", "/a~1b")]
    [TestCase("{\"m~n\":{\"q\":1,\"q\":2}}", "/m~0n/q")]
    [TestCase("{\"\":1,\"\":2}", "/")]
    public void Parse_WhenDuplicateKey_ThrowsWithJsonPointer(string json, string path)
    {
        Assert.That(() => TaskData.Parse(json),
            Throws.TypeOf<InvalidTaskDataException>()
                .With.Property(nameof(InvalidTaskDataException.Path)).EqualTo(path)
                .And.Message.Contains("duplicate"));
    }

    [TestCase("{\"a\":{\"a\":1},\"b\":{\"a\":2}}")]
    [TestCase("{\"a\":[{\"k\":1},{\"k\":2}]}")]
    [TestCase("{\"a\":1,\"A\":2}")]
    public void Parse_WhenSameKeyInDifferentObjectsOrCase_Accepts(string json)
    {
        Assert.That(TaskData.Parse(json).Json, Is.EqualTo(json));
    }

    [Test]
    public void Parse_WhenDepthIsMax_Accepts()
    {
        var json = Nested(TaskData.MaxDepth);

        Assert.That(TaskData.Parse(json).Json, Is.EqualTo(json));
    }

    [TestCase(1)]
    [TestCase(100)]
    public void Parse_WhenDepthOverMax_Throws(int over)
    {
        Assert.That(() => TaskData.Parse(Nested(TaskData.MaxDepth + over)), Throws.TypeOf<InvalidTaskDataException>());
    }

    [Test]
    public void Parse_WhenArraysNestPastMax_Throws()
    {
        var json = "{\"a\":" + new string('[', TaskData.MaxDepth) + new string(']', TaskData.MaxDepth) + "}";

        Assert.That(() => TaskData.Parse(json), Throws.TypeOf<InvalidTaskDataException>());
    }

    [Test]
    public void InvalidTaskDataException_WhenThrown_MessageNamesDataAndPath()
    {
        var exception = Assert.Throws<InvalidTaskDataException>(() => TaskData.Parse("{\"a\":{\"b\":1,\"b\":1}}"))!;

        Assert.Multiple(() =>
        {
            Assert.That(exception.Message, Is.EqualTo("data/a/b is a duplicate key."));
            Assert.That(exception.Problem, Is.EqualTo("is a duplicate key"));
        });
    }

    // ---- idempotence and equality ----

    public static IEnumerable<string> Samples()
    {
        yield return "{}";
        yield return "{ \"z\" : 1 , \"a\" : [ 1.0 , 2 , 3e2 , -0.5 , null , true , \"x\" ] }";
        yield return "{\"nested\":{\"deep\":{\"deeper\":[{\"k\":\"caf\u00e9 \U0001F680\"}]}}}";
        yield return "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"f\":1e-7}";
        yield return "{\"s\":\"line\\nbreak\\ttab\\u0001ctl \\\"q\\\" \\\\ /\"}";
    }

    [TestCaseSource(nameof(Samples))]
    public void Parse_WhenGivenItsOwnCanonicalText_IsIdempotent(string json)
    {
        var once = TaskData.Parse(json);
        var twice = TaskData.Parse(once.Json);

        Assert.Multiple(() =>
        {
            Assert.That(twice.Json, Is.EqualTo(once.Json));
            Assert.That(twice, Is.EqualTo(once));
        });
    }

    [TestCaseSource(nameof(Samples))]
    public void Parse_WhenUtf8BytesGiven_MatchesStringOverload(string json)
    {
        Assert.That(TaskData.Parse(Encoding.UTF8.GetBytes(json)), Is.EqualTo(TaskData.Parse(json)));
    }

    [TestCaseSource(nameof(Samples))]
    public void Parse_WhenValid_CanonicalTextIsSemanticallyTheSameJson(string json)
    {
        using var original = JsonDocument.Parse(json);
        using var canonical = JsonDocument.Parse(TaskData.Parse(json).Json);

        Assert.That(JsonElement.DeepEquals(canonical.RootElement, original.RootElement), Is.True);
    }

    [Test]
    public void Equals_WhenSameCanonicalText_AreEqual()
    {
        var compact = TaskData.Parse("{\"a\":1,\"b\":[true]}");
        var spaced = TaskData.Parse("{ \"a\" : 1, \"b\" : [ true ] }");

        Assert.Multiple(() =>
        {
            Assert.That(spaced, Is.EqualTo(compact));
            Assert.That(spaced.Equals((object)compact), Is.True);
            Assert.That(spaced.GetHashCode(), Is.EqualTo(compact.GetHashCode()));
        });
    }

    [TestCase("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", TestName = "Equals_WhenKeyOrderDiffers_AreNotEqual")]
    [TestCase("{\"a\":1}", "{\"a\":1.0}", TestName = "Equals_WhenIntegerVersusFraction_AreNotEqual")]
    [TestCase("{\"a\":\"1\"}", "{\"a\":1}", TestName = "Equals_WhenStringVersusNumber_AreNotEqual")]
    public void Equals_WhenCanonicalTextDiffers_AreNotEqual(string left, string right)
    {
        Assert.That(TaskData.Parse(left), Is.Not.EqualTo(TaskData.Parse(right)));
    }

    [Test]
    public void Equals_WhenNullOrOtherType_IsFalse()
    {
        var data = TaskData.Parse("{}");
        var isEqualToNull = data.Equals(null);
        var isEqualToString = TaskData.Parse("{}").Equals((object)"{}");

        Assert.Multiple(() =>
        {
            Assert.That(isEqualToNull, Is.False);
            Assert.That(isEqualToString, Is.False);
        });
    }

    [Test]
    public void Empty_WhenRead_IsEmptyObjectAndEqualsParsedEmptyObject()
    {
        Assert.Multiple(() =>
        {
            Assert.That(TaskData.Empty.Json, Is.EqualTo("{}"));
            Assert.That(TaskData.Empty, Is.EqualTo(TaskData.Parse(" { } ")));
            Assert.That(TaskData.Empty.ToString(), Is.EqualTo("{}"));
        });
    }

    /// <summary>An object nested <paramref name="depth"/> levels deep: depth 1 is <c>{}</c>.</summary>
    private static string Nested(int depth)
    {
        var builder = new StringBuilder();
        for (var level = 1; level < depth; level++)
        {
            builder.Append("{\"d\":");
        }

        builder.Append("{}");
        builder.Append('}', depth - 1);
        return builder.ToString();
    }

    [TestCase("""{"z":-0.0}""", """{"z":0.0}""")]
    [TestCase("""{"z":-0e5}""", """{"z":0.0}""")]
    [TestCase("""{"z":-0}""", """{"z":0}""")]
    public void Parse_WhenNegativeZero_WritesPlainZero(string json, string expected) =>
        Assert.That(TaskData.Parse(json).Json, Is.EqualTo(expected));
}
