using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mediator;
using TaskService.Api.Authentication;
using TaskService.Api.Errors;
using TaskService.Api.Http;
using TaskService.Api.OpenApi;
using TaskService.Application.Common.Behaviours;
using TaskService.Application.Tasks.Commands.CreateTask;
using TaskService.Domain.Tasks;

namespace TaskService.Api;

public static partial class DependencyInjection
{
    public static WebApplicationBuilder AddWebServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.Section));
        var requireCredentials = !builder.Environment.IsDevelopment();
        services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.Section))
            .Validate(auth => auth.IsConfigured || !requireCredentials,
                "No server credentials are configured: set Auth:ServerTokens (a list of tokens) or Auth:ServiceSecret.")
            .ValidateOnStart();

        services.AddMediator((MediatorOptions options) =>
        {
            options.Assemblies = [typeof(CreateTaskCommand)];
            options.PipelineBehaviors = [typeof(ValidationBehaviour<,>)];
            options.ServiceLifetime = ServiceLifetime.Singleton;
        });

        services.AddControllers(options => options.Filters.Add<StrictQueryFilter>())
            .AddJsonOptions(options => ConfigureJson(options.JsonSerializerOptions))
            .ConfigureApiBehaviorOptions(options =>
            {
                options.SuppressMapClientErrors = true;
                options.InvalidModelStateResponseFactory = context => throw ModelStateFailures.ToException(context.ModelState);
            });
        services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(options => ConfigureJson(options.SerializerOptions));

        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddProblemDetails();
        services.AddAuthentication(ServerTokenAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ServerTokenAuthenticationHandler>(
                ServerTokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddTaskApiDocument();
        return builder;
    }

    public static WebApplication UseWebPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.Use((context, next) =>
        {
            context.Response.Headers[ErrorWriter.TraceIdHeader] = ErrorWriter.TraceId(context);
            return next(context);
        });
        app.UseStatusCodePages(context => context.HttpContext.Response.ContentLength is null && !context.HttpContext.Response.HasStarted
            ? ErrorWriter.WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode, DescribeStatus(context.HttpContext.Response.StatusCode))
            : Task.CompletedTask);
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseOpenApi(settings => settings.Path = OpenApiConfiguration.DocumentPath);
        app.UseSwaggerUi(settings => settings.SwaggerRoutes.Add(new NSwag.AspNetCore.SwaggerUiRoute("Task API v1", OpenApiConfiguration.DocumentPath)));
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapControllers();
        app.Lifetime.ApplicationStarted.Register(() => AnnounceAddresses(app));
        return app;
    }

    private static void AnnounceAddresses(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TaskService");
        foreach (var address in app.Urls)
        {
            LogListening(logger, address, address.TrimEnd('/') + "/swagger");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TaskService listening on {Address}; Swagger UI at {SwaggerUi}")]
    private static partial void LogListening(ILogger logger, string address, string swaggerUi);

    private static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        options.MaxDepth = TaskData.MaxDepth + 1;
        options.Converters.Add(new UtcMillisecondsConverter());
        options.Converters.Add(new RequireZone());
    }

    private static string DescribeStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => "No such resource.",
        StatusCodes.Status405MethodNotAllowed => "This method is not allowed on this resource.",
        StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
        StatusCodes.Status401Unauthorized => "A valid server credential is required.",
        StatusCodes.Status403Forbidden => "Not allowed.",
        _ => $"The request failed with status {status}.",
    };
}
