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
/// schema names, types and formats, parameter constraints and the <c>serverToken</c> security scheme, so generated
/// clients match. <c>tests/Api.FunctionalTests/OpenApiTests</c> compares it with the published description and with
/// the committed copy in <c>docs/openapi/task.v1.json</c>.
/// </summary>
public static class OpenApiConfiguration
{
    public const string DocumentPath = "/swagger/v1/swagger.json";
    public const string SwaggerUiIndexPath = "/swagger/index.html";

    /// <summary>The published description lists the states in this order.</summary>
    private static readonly TaskState[] PublishedStateOrder = [TaskState.Pending, TaskState.Running, TaskState.Failed, TaskState.Completed];

    private static readonly Dictionary<string, string> ErrorDescriptions = new()
    {
        ["400"] = "400 Bad Request",
        ["401"] = "401 Unauthorized",
        ["404"] = "404 Not Found",
        ["409"] = "409 Conflict",
        ["413"] = "413 Payload Too Large",
        ["500"] = "500 Server Error",
        ["503"] = "503 Service Unavailable",
    };

    public static IServiceCollection AddTaskApiDocument(this IServiceCollection services) =>
        services.AddOpenApiDocument(settings =>
        {
            settings.DocumentName = "v1";
            settings.Title = "Task API";
            settings.Version = "1.0";
            settings.Description = "List, create and manage generic background tasks.";
            settings.SchemaSettings.SchemaNameGenerator = new ContractSchemaNames();

            // The published schemas say nothing about additional properties (NJsonSchema would write "false").
            settings.SchemaSettings.AlwaysAllowAdditionalObjectProperties = true;
            settings.SchemaSettings.TypeMappers.Add(new PrimitiveTypeMapper(typeof(JsonElement), schema =>
            {
                // Task data: "type: object, additionalProperties: true"; {} is NJsonSchema's way to write the latter.
                schema.Type = JsonObjectType.Object;
                schema.AllowAdditionalProperties = true;
                schema.AdditionalPropertiesSchema = new JsonSchema();
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
        document.Tags.Clear();
        document.Tags.Add(new OpenApiTag { Name = "Internal", Description = "APIs intended for internal use by Tidepool." });
        document.Tags.Add(new OpenApiTag { Name = "Tasks", Description = "List, create and manage generic background tasks." });
        var schemas = document.Components.Schemas;
        Describe(schemas["Task"], "Task", "A background task.");
        Describe(schemas["NewTask"], "New Task", "A task to create; every property is required.");
        Describe(schemas["UpdateTask"], "Update Task", "The new priority, data and schedule of a task that has not ended; every property is required.");
        Describe(schemas["Error"], "Error", "The error body of every failed request.");

        // A property with no value is omitted, never null, and the published schemas have no nullable markers.
        foreach (var schema in schemas.Values)
        {
            RemoveNullableMarkers(schema, []);
        }

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

            DescribeResponses(operation);
        }
    }

    /// <summary>The published titles; the descriptions NSwag takes from the C# documentation are written for this code base.</summary>
    private static void Describe(JsonSchema schema, string title, string description)
    {
        schema.Title = title;
        schema.Description = description;
    }

    private static void RemoveNullableMarkers(JsonSchema schema, HashSet<JsonSchema> visited)
    {
        if (!visited.Add(schema))
        {
            return;
        }

        schema.IsNullableRaw = null;
        foreach (var property in schema.Properties.Values)
        {
            RemoveNullableMarkers(property, visited);
        }

        if (schema.Item is not null)
        {
            RemoveNullableMarkers(schema.Item, visited);
        }
    }

    /// <summary>Responses in status order, described as the published description does.</summary>
    private static void DescribeResponses(OpenApiOperation operation)
    {
        var responses = operation.Responses.OrderBy(response => response.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (status, response) in responses)
        {
            var schema = response.Content.Values.FirstOrDefault()?.Schema;
            response.Description = status.StartsWith('2')
                ? schema is null ? "Success" : schema.Type == JsonObjectType.Array ? "Tasks" : "Task"
                : ErrorDescriptions.GetValueOrDefault(status, status);
            operation.Responses.Add(status, response);
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
        var duration = task.Properties["duration"];
        duration.Minimum = 0;
        duration.Format = null; // published as a plain "number"
    }

    private static void ConstrainPriority(JsonSchema priority)
    {
        priority.Minimum = 0;
        priority.Format = JsonFormatStrings.Integer;
    }

    private static void ConstrainParameter(OpenApiParameter parameter)
    {
        // Optional query parameters are left out when unused; the published ones are not nullable.
        parameter.IsNullableRaw = null;
        parameter.Schema.IsNullableRaw = null;
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
        foreach (var state in PublishedStateOrder.Union(Enum.GetValues<TaskState>()))
        {
            schema.Enumeration.Add(state.ToWireName());
        }
    }

    private static void Require(JsonSchema schema, params string[] properties)
    {
        foreach (var property in properties)
        {
            schema.RequiredProperties.Add(property);
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
