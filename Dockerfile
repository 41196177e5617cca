# syntax=docker/dockerfile:1
# Multi-stage build of the TaskService API. The image runs as a non-root user and, unless told otherwise,
# uses MongoDB (set Mongo__ConnectionString); docker-compose.yml starts one beside it.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Domain/Domain.csproj src/Domain/
COPY src/Application/Application.csproj src/Application/
COPY src/Infrastructure/Infrastructure.csproj src/Infrastructure/
COPY src/Api/Api.csproj src/Api/
RUN dotnet restore src/Api/Api.csproj
COPY src/ src/
RUN dotnet publish src/Api/Api.csproj --configuration Release --no-restore --output /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /app/data && chown -R app:app /app/data
USER app
ENV ASPNETCORE_URLS=http://+:8080 \
    Storage__Provider=Mongo \
    Sqlite__Path=/app/data/taskservice.db
EXPOSE 8080
ENTRYPOINT ["dotnet", "TaskService.Api.dll"]
