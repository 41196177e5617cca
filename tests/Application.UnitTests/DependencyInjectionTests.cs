using Microsoft.Extensions.DependencyInjection;
using TaskService.Application.Common.Validation;
using TaskService.Application.Tasks.Commands.CreateTask;
using TaskService.Application.Tasks.Commands.DeleteTask;
using TaskService.Application.Tasks.Commands.UpdateTask;
using TaskService.Application.Tasks.Queries.GetTask;
using TaskService.Application.Tasks.Queries.ListTasks;

namespace TaskService.Application.UnitTests;

[TestFixture]
public sealed class DependencyInjectionTests
{
    [TestCase(typeof(IValidator<CreateTaskCommand>), typeof(CreateTaskCommandValidator))]
    [TestCase(typeof(IValidator<UpdateTaskCommand>), typeof(UpdateTaskCommandValidator))]
    [TestCase(typeof(IValidator<DeleteTaskCommand>), typeof(DeleteTaskCommandValidator))]
    [TestCase(typeof(IValidator<GetTaskQuery>), typeof(GetTaskQueryValidator))]
    [TestCase(typeof(IValidator<ListTasksQuery>), typeof(ListTasksQueryValidator))]
    public void AddApplication_WhenCalled_RegistersEachValidatorOnce(Type contract, Type implementation)
    {
        var services = new ServiceCollection().AddApplication();

        var registrations = services.Where(descriptor => descriptor.ServiceType == contract).ToList();

        Assert.That(registrations, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(registrations[0].ImplementationType, Is.EqualTo(implementation));
            Assert.That(registrations[0].Lifetime, Is.EqualTo(ServiceLifetime.Singleton));
        });
    }

    [Test]
    public void AddApplication_WhenCalled_RegistersTheSystemClock()
    {
        var services = new ServiceCollection().AddApplication();

        Assert.That(services.Single(descriptor => descriptor.ServiceType == typeof(TimeProvider)).ImplementationInstance,
            Is.SameAs(TimeProvider.System));
    }
}
