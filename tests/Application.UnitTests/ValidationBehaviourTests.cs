using Mediator;
using TaskService.Application.Common.Behaviours;
using TaskService.Application.Common.Exceptions;
using TaskService.Application.Common.Validation;

namespace TaskService.Application.UnitTests;

[TestFixture]
public sealed class ValidationBehaviourTests
{
    private int _nextCalls;

    [SetUp]
    public void ResetCalls() => _nextCalls = 0;

    [Test]
    public void Handle_WhenValidatorsFail_ThrowsWithAllFailuresAndDoesNotCallNext()
    {
        var first = new ValidationFailure("/name", "name is required.");
        var second = new ValidationFailure("/priority", "priority is required.");
        var third = new ValidationFailure("size", "size must be an integer from 1 to 1000.");
        var behaviour = new ValidationBehaviour<Ping, string>([new FixedValidator(first, second), new FixedValidator(), new FixedValidator(third)]);

        var exception = Assert.ThrowsAsync<ValidationException>(async () => await behaviour.Handle(new Ping("hi"), Next, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(exception.Failures, Is.EqualTo(new[] { first, second, third }));
            Assert.That(exception.Message, Is.EqualTo("The request has 3 problems."));
            Assert.That(_nextCalls, Is.Zero);
        });
    }

    [Test]
    public void Handle_WhenOneFailure_ExceptionMessageIsThatFailure()
    {
        var failure = new ValidationFailure("taskId", "taskId must be 32 lowercase hexadecimal characters.");
        var behaviour = new ValidationBehaviour<Ping, string>([new FixedValidator(failure)]);

        var exception = Assert.ThrowsAsync<ValidationException>(async () => await behaviour.Handle(new Ping("hi"), Next, CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            Assert.That(exception.Message, Is.EqualTo(failure.Message));
            Assert.That(_nextCalls, Is.Zero);
        });
    }

    [Test]
    public async Task Handle_WhenValidatorsSeeTheMessage_ValidateThatMessage()
    {
        var validator = new RecordingValidator();
        var behaviour = new ValidationBehaviour<Ping, string>([validator]);
        var message = new Ping("exact");

        await behaviour.Handle(message, Next, CancellationToken.None);

        Assert.That(validator.Seen, Is.SameAs(message));
    }

    [Test]
    public async Task Handle_WhenAllValidatorsPass_CallsNextAndReturnsItsResult()
    {
        var behaviour = new ValidationBehaviour<Ping, string>([new FixedValidator(), new FixedValidator()]);

        var result = await behaviour.Handle(new Ping("hi"), Next, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo("pong: hi"));
            Assert.That(_nextCalls, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Handle_WhenNoValidatorsRegistered_CallsNext()
    {
        var behaviour = new ValidationBehaviour<Ping, string>([]);

        var result = await behaviour.Handle(new Ping("x"), Next, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result, Is.EqualTo("pong: x"));
            Assert.That(_nextCalls, Is.EqualTo(1));
        });
    }

    private ValueTask<string> Next(Ping message, CancellationToken cancellationToken)
    {
        _nextCalls++;
        return ValueTask.FromResult($"pong: {message.Text}");
    }

    public sealed record Ping(string Text) : IRequest<string>;

    private sealed class FixedValidator(params ValidationFailure[] failures) : IValidator<Ping>
    {
        public IEnumerable<ValidationFailure> Validate(Ping message) => failures;
    }

    private sealed class RecordingValidator : IValidator<Ping>
    {
        public Ping? Seen { get; private set; }

        public IEnumerable<ValidationFailure> Validate(Ping message)
        {
            Seen = message;
            return [];
        }
    }
}
