using Microsoft.Extensions.DependencyInjection;
using TaskService.Application.Common.Validation;
using TaskService.Application.Tasks.Execution;

namespace TaskService.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RunRecorder>();
        var validators = typeof(DependencyInjection).Assembly.GetTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false })
            .SelectMany(type => type.GetInterfaces()
                .Where(contract => contract.IsGenericType && contract.GetGenericTypeDefinition() == typeof(IValidator<>))
                .Select(contract => (contract, type)));
        foreach (var (contract, implementation) in validators)
        {
            services.AddSingleton(contract, implementation);
        }

        return services;
    }
}
