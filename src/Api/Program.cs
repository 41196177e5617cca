using TaskService.Api;
using TaskService.Application;
using TaskService.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddApplication();
builder.AddInfrastructure();
builder.AddWebServices();

var app = builder.Build();
app.UseWebPipeline();
app.Run();
