using System.Text.Json;
using NJsonSchema;
using NJsonSchema.Generation;
using NJsonSchema.Generation.TypeMappers;
using NSwag;
using TaskService.Api.Authentication;
using TaskService.Api.Errors;
using TaskService.Application.Tasks;
using TaskService.Application.Tasks.Commands.CreateTask;
using TaskService.Application.Tasks.Commands.UpdateTask;
using TaskService.Domain.Tasks;

namespace TaskService.Api.OpenApi;

/// <summary>
/// The OpenAPI document NSwag serves, aligned with the published Task API description: its operation ids,
/// schema names, parameter constraints and the <c>serverToken</c> security scheme, so generated clients match.
/// </summary>
public static class OpenApiConfiguration
{
    public const string DocumentPath = "/swagger/v1/swagger.json";

    public static IServiceCollection AddTaskApiDocument(this IServiceCollection services) =>
        services.AddOpenApiDocument(settings =>
        {
            settings.DocumentName = "v1";
            settings.Title = "Task API";
            settings.Version = "1.0";
            settings.Description = "List, create and manage generic background tasks.";
            settings.SchemaSettings.SchemaNameGenerator = new ContractSchemaNames();
            settings.SchemaSettings.TypeMappers.Add(new PrimitiveTypeMapper(typeof(JsonElement), schema =>
            {
                schema.Type = JsonObjectType.Object;
                schema.AllowAdditionalProperties = true;
            }));
            settings.AddSecurity(ServerTokenAuthenticationHandler.SchemeName, [], new OpenApiSecurityScheme
            {
                Type = OpenApiSecuritySchemeType.ApiKey,
                Name = ServerTokenAuthenticationHandler.SessionTokenHeader,
                In = OpenApiSecurityApiKeyLocation.Header,
                Description = "Tidepool Server Token",
            });
            settings.PostProcess = AlignWithContract;
        });

    private static void AlignWithContract(OpenApiDocument document)
    {
        document.Servers.Clear();
        var schemas = document.Components.Schemas;
        ConstrainTask(schemas["Task"]);
        Require(schemas["NewTask"], "name", "type", "priority", "data", "availableTime", "expirationTime");
        Require(schemas["UpdateTask"], "priority", "data", "availableTime", "expirationTime");
        Require(schemas["Error"], "code", "message");
        foreach (var schema in new[] { schemas["NewTask"], schemas["UpdateTask"] })
        {
            ConstrainPriority(schema.Properties["priority"]);
        }

        foreach (var operation in document.Paths.Values.SelectMany(path => path.Values))
        {
            foreach (var parameter in operation.Parameters)
            {
                ConstrainParameter(parameter);
            }
        }
    }

    private static void ConstrainTask(JsonSchema task)
    {
        var id = task.Properties["id"];
        id.Pattern = "^[0-9a-f]{32}$";
        id.MinLength = TaskId.Length;
        id.MaxLength = TaskId.Length;
        ConstrainPriority(task.Properties["priority"]);
        SetStates(task.Properties["state"]);
        task.Properties["duration"].Minimum = 0;
    }

    private static void ConstrainPriority(JsonSchema priority)
    {
        priority.Minimum = 0;
        priority.Format = JsonFormatStrings.Integer;
    }

    private static void ConstrainParameter(OpenApiParameter parameter)
    {
        switch (parameter.Name)
        {
            case "taskId":
                parameter.Schema.Pattern = "^[0-9a-f]{32}$";
                parameter.Schema.MinLength = TaskId.Length;
                parameter.Schema.MaxLength = TaskId.Length;
                parameter.Description = "Task ID";
                break;
            case "state":
                SetStates(parameter.Schema);
                parameter.Description = "Task State Filter. Filter by task state";
                break;
            case "name":
                parameter.Description = "Task Name Filter. Filter by task name";
                break;
            case "type":
                parameter.Description = "Task Type Filter. Filter by task type";
                break;
            case "page":
                parameter.Schema.Minimum = 0;
                parameter.Schema.Default = 0;
                parameter.Description = "Page number for pagination";
                break;
            case "size":
                parameter.Schema.Minimum = 1;
                parameter.Schema.Maximum = 1000;
                parameter.Schema.Default = 100;
                parameter.Description = "Page size for pagination";
                break;
        }
    }

    private static void SetStates(JsonSchema schema)
    {
        schema.Enumeration.Clear();
        foreach (var state in Enum.GetValues<TaskState>())
        {
            schema.Enumeration.Add(state.ToWireName());
        }
    }

    private static void Require(JsonSchema schema, params string[] properties)
    {
        foreach (var property in properties)
        {
            schema.RequiredProperties.Add(property);
            schema.Properties[property].IsNullableRaw = false;
        }
    }

    private sealed class ContractSchemaNames : ISchemaNameGenerator
    {
        private static readonly Dictionary<Type, string> Names = new()
        {
            [typeof(TaskDto)] = "Task",
            [typeof(CreateTaskCommand)] = "NewTask",
            [typeof(TaskUpdate)] = "UpdateTask",
            [typeof(ErrorResponse)] = "Error",
            [typeof(ErrorDetail)] = "ErrorDetail",
        };

        private readonly DefaultSchemaNameGenerator _fallback = new();

        public string Generate(Type type) => Names.TryGetValue(type, out var name) ? name : _fallback.Generate(type);
    }
}
