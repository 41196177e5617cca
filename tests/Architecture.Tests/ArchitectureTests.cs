using System.Reflection;
using Mediator;
using NetArchTest.Rules;
using TaskService.Api.Controllers;
using TaskService.Application.Tasks;
using TaskService.Domain.Tasks;

namespace TaskService.Architecture.Tests;

[TestFixture]
public sealed class LayerDependencyTests
{
    private static readonly Assembly DomainAssembly = typeof(BackgroundTask).Assembly;
    private static readonly Assembly ApplicationAssembly = typeof(TaskDto).Assembly;
    private static readonly Assembly InfrastructureAssembly = typeof(Infrastructure.DependencyInjection).Assembly;
    private static readonly Assembly ApiAssembly = typeof(TasksController).Assembly;

    [TestCase("TaskService.Application")]
    [TestCase("TaskService.Infrastructure")]
    [TestCase("TaskService.Api")]
    [TestCase("MongoDB")]
    [TestCase("Microsoft.AspNetCore")]
    [TestCase("Microsoft.Data.Sqlite")]
    [TestCase("Mediator")]
    public void Domain_WhenInspected_DoesNotDependOn(string dependency)
    {
        AssertNoDependency(Types.InAssembly(DomainAssembly), dependency);
    }

    [TestCase("TaskService.Infrastructure")]
    [TestCase("TaskService.Api")]
    [TestCase("MongoDB")]
    [TestCase("Microsoft.AspNetCore")]
    [TestCase("Microsoft.Data.Sqlite")]
    public void Application_WhenInspected_DoesNotDependOn(string dependency)
    {
        AssertNoDependency(Types.InAssembly(ApplicationAssembly), dependency);
    }

    [Test]
    public void Infrastructure_WhenInspected_DoesNotDependOnApi()
    {
        AssertNoDependency(Types.InAssembly(InfrastructureAssembly), "TaskService.Api");
    }

    [TestCase("TaskService.Infrastructure")]
    [TestCase("TaskService.Domain")]
    public void Controllers_WhenInspected_DoNotDependOn(string dependency)
    {
        var controllers = Types.InAssembly(ApiAssembly).That().ResideInNamespace("TaskService.Api.Controllers");
        Assume.That(controllers.GetTypes(), Is.Not.Empty, "no controllers found: the rule would pass vacuously");

        var result = controllers.ShouldNot().HaveDependencyOnAny(dependency).GetResult();

        Assert.That(result.IsSuccessful, Is.True, Describe(result, $"controllers must go through the Application layer, not {dependency}"));
    }

    /// <summary>Proves the dependency scan sees real dependencies, so the rules above can fail.</summary>
    [TestCase("MongoDB")]
    [TestCase("Microsoft.Data.Sqlite")]
    [TestCase("TaskService.Domain")]
    [TestCase("TaskService.Application")]
    public void Infrastructure_WhenInspected_IsSeenToDependOnItsAdapters(string dependency)
    {
        var dependents = Types.InAssembly(InfrastructureAssembly).That().HaveDependencyOnAny(dependency).GetTypes();

        Assert.That(dependents, Is.Not.Empty);
    }

    [Test]
    public void Application_WhenInspected_IsSeenToDependOnDomainAndMediator()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Types.InAssembly(ApplicationAssembly).That().HaveDependencyOnAny("TaskService.Domain").GetTypes(), Is.Not.Empty);
            Assert.That(Types.InAssembly(ApplicationAssembly).That().HaveDependencyOnAny("Mediator").GetTypes(), Is.Not.Empty);
        });
    }

    private static void AssertNoDependency(Types types, string dependency)
    {
        Assume.That(types.GetTypes(), Is.Not.Empty);

        var result = types.ShouldNot().HaveDependencyOnAny(dependency).GetResult();

        Assert.That(result.IsSuccessful, Is.True, Describe(result, $"must not depend on {dependency}"));
    }

    internal static string Describe(TestResult result, string rule)
    {
        var failing = result.FailingTypes?.Select(type => $"{type.FullName}{(string.IsNullOrEmpty(type.Explanation) ? "" : $" ({type.Explanation})")}")
            ?? [];
        return $"{rule}; failing types: {string.Join(", ", failing)}";
    }
}

[TestFixture]
public sealed class HandlerConventionTests
{
    private static readonly Type[] HandlerContracts =
    [
        typeof(ICommandHandler<>),
        typeof(ICommandHandler<,>),
        typeof(IQueryHandler<,>),
        typeof(IRequestHandler<>),
        typeof(IRequestHandler<,>),
    ];

    private static List<Type> Handlers() => typeof(TaskDto).Assembly.GetTypes()
        .Where(type => type.GetInterfaces().Any(contract =>
            contract.IsGenericType && HandlerContracts.Contains(contract.GetGenericTypeDefinition())))
        .ToList();

    [Test]
    public void Handlers_WhenFound_IncludeTheFiveUseCases()
    {
        Assert.That(Handlers().Select(type => type.Name), Is.SupersetOf(new[]
        {
            "CreateTaskCommandHandler",
            "UpdateTaskCommandHandler",
            "DeleteTaskCommandHandler",
            "GetTaskQueryHandler",
            "ListTasksQueryHandler",
        }));
    }

    [Test]
    public void Handlers_WhenInspected_AreSealed()
    {
        var unsealed = Handlers().Where(type => !type.IsSealed).Select(type => type.FullName).ToList();

        Assert.That(unsealed, Is.Empty, $"command/query handlers must be sealed; failing types: {string.Join(", ", unsealed)}");
    }

    [Test]
    public void TypesNamedHandler_WhenInspected_AreSealed()
    {
        var result = Types.InAssembly(typeof(TaskDto).Assembly)
            .That().HaveNameEndingWith("Handler")
            .Should().BeSealed()
            .GetResult();

        Assert.Multiple(() =>
        {
            Assert.That(result.SelectedTypesForTesting, Is.Not.Empty);
            Assert.That(result.IsSuccessful, Is.True, LayerDependencyTests.Describe(result, "handlers must be sealed"));
        });
    }
}

[TestFixture]
public sealed class DomainPackageTests
{
    [Test]
    public void Domain_WhenReferencesListed_ReferencesOnlyFrameworkAssemblies()
    {
        var references = typeof(BackgroundTask).Assembly.GetReferencedAssemblies().Select(name => name.Name ?? "").ToList();

        var foreign = references.Where(name => !IsFramework(name)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(references, Is.Not.Empty);
            Assert.That(foreign, Is.Empty, $"the Domain project must reference no NuGet package; non-framework references: {string.Join(", ", foreign)}");
        });
    }

    [TestCase("System.Runtime", true)]
    [TestCase("System.Text.Json", true)]
    [TestCase("Microsoft.Win32.Primitives", true)]
    [TestCase("netstandard", true)]
    [TestCase("mscorlib", true)]
    [TestCase("MongoDB.Bson", false)]
    [TestCase("Mediator.Abstractions", false)]
    [TestCase("Microsoft.Extensions.DependencyInjection.Abstractions", false)]
    [TestCase("SystemX", false)]
    public void IsFramework_WhenAssemblyName_ClassifiesIt(string name, bool expected)
    {
        Assert.That(IsFramework(name), Is.EqualTo(expected));
    }

    private static bool IsFramework(string name) =>
        name.StartsWith("System.", StringComparison.Ordinal)
        || name == "System"
        || name.StartsWith("Microsoft.Win32.", StringComparison.Ordinal)
        || name == "netstandard"
        || name == "mscorlib";
}
