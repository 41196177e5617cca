using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using TaskService.Api.FunctionalTests.Support;
using TaskService.Application.Tasks.Execution;
using TaskService.Domain.Tasks;

namespace TaskService.Api.FunctionalTests;

/// <summary>When the engine starts runs: at once on a local create, on time for a future task, within its concurrency bounds, and with a constant idle load.</summary>
[TestFixture("Mongo")]
[TestFixture("Sqlite")]
public sealed class EngineSchedulingTests(string provider)
{
    /// <summary>So long that only the in-process wake-up can explain a prompt start.</summary>
    private const string SlowPoll = "00:00:30";

    [Test]
    public async Task Create_OnThisInstance_IsPickedUpAtOnceWithoutWaitingForThePoll()
    {
        await using var service = await ServiceAsync(new() { ["Engine:PollInterval"] = SlowPoll });
        await Task.Delay(300);

        var clock = Stopwatch.StartNew();
        var id = await service.CreateAsync("complete", DateTime.UtcNow);
        await service.WaitForStateAsync(id, "completed", TimeSpan.FromSeconds(10));

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "woken by the create, not by the 30 s poll");
    }

    [Test]
    public async Task Create_AvailableLater_IsPickedUpOnTimeNotBefore()
    {
        await using var service = await ServiceAsync(new() { ["Engine:PollInterval"] = SlowPoll });
        await Task.Delay(300);
        var availableTime = DateTime.UtcNow.AddMilliseconds(1500);

        var id = await service.CreateAsync("complete", availableTime);
        var task = await service.WaitForStateAsync(id, "completed", TimeSpan.FromSeconds(10));

        var runTime = DateTime.Parse(task["runTime"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        Assert.That(runTime, Is.GreaterThanOrEqualTo(availableTime.AddMilliseconds(-1)), "never before availableTime");
        Assert.That(runTime, Is.LessThan(availableTime.AddSeconds(3)), "on time, not at the next 30 s poll");
    }

    [Test]
    public async Task Runs_AreBoundedInTotalPerInstance()
    {
        await using var service = await ServiceAsync(new() { ["Engine:MaxConcurrency"] = "2" });
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await service.CreateAsync("block", DateTime.UtcNow));
        }

        await EngineService.WaitUntilAsync(() => service.Runner.Started.Count >= 2);
        await Task.Delay(500);
        Assert.That(service.Runner.Started, Has.Count.EqualTo(2), "no more than Engine:MaxConcurrency at once");

        foreach (var id in ids)
        {
            service.Runner.Open(id, RunOutcome.Completed());
        }

        foreach (var id in ids)
        {
            await service.WaitForStateAsync(id, "completed", TimeSpan.FromSeconds(20));
        }
    }

    [Test]
    public async Task Runs_AreBoundedPerType()
    {
        await using var service = await ServiceAsync(new()
        {
            ["Engine:MaxConcurrency"] = "8",
            [$"Engine:Types:{ScriptedRunner.Type}:MaxConcurrency"] = "1",
        });
        var first = await service.CreateAsync("block", DateTime.UtcNow);
        var second = await service.CreateAsync("block", DateTime.UtcNow);

        await EngineService.WaitUntilAsync(() => !service.Runner.Started.IsEmpty);
        await Task.Delay(500);
        Assert.That(service.Runner.Started, Has.Count.EqualTo(1));

        service.Runner.Open(first, RunOutcome.Completed());
        service.Runner.Open(second, RunOutcome.Completed());
        await service.WaitForStateAsync(second, "completed", TimeSpan.FromSeconds(20));
        await service.WaitForStateAsync(first, "completed", TimeSpan.FromSeconds(20));
    }

    [TestCase(1)]
    [TestCase(64)]
    public async Task Idle_LoadOnTheStoreIsOneClaimQueryPerPoll_WhateverTheConcurrency(int maxConcurrency)
    {
        var counting = new CountingDispatchStore.Holder();
        await using var service = await ServiceAsync(
            new() { ["Engine:PollInterval"] = "00:00:00.100", ["Engine:MaxConcurrency"] = maxConcurrency.ToString(CultureInfo.InvariantCulture) },
            counting);
        await Task.Delay(500);

        var before = counting.Store!.Claims;
        await Task.Delay(2000);
        var claims = counting.Store.Claims - before;

        Assert.That(claims, Is.InRange(5, 25), "about one claim query per 100 ms poll over 2 s");
    }

    private async Task<EngineService> ServiceAsync(Dictionary<string, string?> settings, CountingDispatchStore.Holder? counting = null)
    {
        var runner = new ScriptedRunner();
        var factory = await TaskServiceFactory.CreateAsync(provider, settings, services =>
        {
            services.AddSingleton<ITaskRunner>(runner);
            if (counting is not null)
            {
                CountingDispatchStore.Decorate(services, counting);
            }
        });
        return new EngineService(factory, factory.CreateAuthorizedClient(), runner);
    }

    private sealed class EngineService(TaskServiceFactory factory, HttpClient client, ScriptedRunner runner) : IAsyncDisposable
    {
        public ScriptedRunner Runner { get; } = runner;

        public async Task<string> CreateAsync(string action, DateTime availableTime)
        {
            var body = new JsonObject
            {
                ["name"] = $"scheduling-{action}-{Guid.NewGuid():N}",
                ["type"] = ScriptedRunner.Type,
                ["priority"] = 1,
                ["data"] = new JsonObject { ["action"] = action },
                ["availableTime"] = availableTime.ToString("O"),
                ["expirationTime"] = DateTime.UtcNow.AddHours(1).ToString("O"),
            };
            using var response = await client.PostAsync("/v1/tasks", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        }

        public async Task<JsonObject> WaitForStateAsync(string id, string state, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            JsonObject task;
            do
            {
                task = (await client.GetFromJsonAsync<JsonObject>($"/v1/tasks/{id}"))!;
                if (task["state"]!.GetValue<string>() == state)
                {
                    return task;
                }

                await Task.Delay(20);
            }
            while (DateTime.UtcNow < deadline);

            Assert.Fail($"Task {id} did not become {state} within {timeout}: {task.ToJsonString()}");
            return task;
        }

        public static async Task WaitUntilAsync(Func<bool> condition)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!condition())
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not reached in time");
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync()
        {
            client.Dispose();
            await factory.DisposeAsync();
        }
    }

    /// <summary>Counts the claim queries the engine sends to the real store.</summary>
    private sealed class CountingDispatchStore(ITaskDispatchStore inner) : ITaskDispatchStore
    {
        private int _claims;

        public int Claims => Volatile.Read(ref _claims);

        public static void Decorate(IServiceCollection services, Holder holder)
        {
            var original = services.Last(descriptor => descriptor.ServiceType == typeof(ITaskDispatchStore));
            services.Remove(original);
            services.AddSingleton(original.ImplementationType!);
            services.AddSingleton<ITaskDispatchStore>(provider =>
                holder.Store = new CountingDispatchStore((ITaskDispatchStore)provider.GetRequiredService(original.ImplementationType!)));
        }

        public Task<BackgroundTask?> ClaimNextAsync(IReadOnlyCollection<string> types, DateTime now, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _claims);
            return inner.ClaimNextAsync(types, now, claimToken, leaseExpiresTime, cancellationToken);
        }

        public Task<bool> RenewLeaseAsync(TaskId id, string claimToken, DateTime leaseExpiresTime, CancellationToken cancellationToken) =>
            inner.RenewLeaseAsync(id, claimToken, leaseExpiresTime, cancellationToken);

        public Task<IReadOnlySet<string>> StillClaimedAsync(IReadOnlyCollection<ClaimedRun> runs, CancellationToken cancellationToken) =>
            inner.StillClaimedAsync(runs, cancellationToken);

        public Task<IReadOnlyList<BackgroundTask>> FindOverdueAsync(DateTime now, int limit, CancellationToken cancellationToken) =>
            inner.FindOverdueAsync(now, limit, cancellationToken);

        public sealed class Holder
        {
            public CountingDispatchStore? Store { get; set; }
        }
    }
}
