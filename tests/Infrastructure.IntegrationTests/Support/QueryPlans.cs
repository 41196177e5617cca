using MongoDB.Bson;
using MongoDB.Driver;
using TaskService.TestSupport;

namespace TaskService.Infrastructure.IntegrationTests.Support;

/// <summary>What the stores say about their indexes and plans, shared by the index and claim tests.</summary>
public static class QueryPlans
{
    public static async Task<List<BsonDocument>> MongoIndexesAsync(TaskStore store)
    {
        var mongo = await TestMongo.SharedAsync();
        using var cursor = await store.OpenMongoCollection(mongo.ConnectionString).Indexes.ListAsync();
        return await cursor.ToListAsync();
    }

    /// <summary>An index's keys as text, e.g. <c>state:1,type:1,priority:-1</c>.</summary>
    public static string KeysOf(BsonDocument index) =>
        string.Join(",", index["key"].AsBsonDocument.Select(key => $"{key.Name}:{key.Value.ToDouble()}"));

    /// <summary>The stage names of an <c>explain</c> result's winning plan, classic or slot-based.</summary>
    public static List<string> WinningPlanStages(BsonDocument explain)
    {
        var stages = new List<string>();
        CollectStages(explain["queryPlanner"]["winningPlan"], stages);
        return stages;
    }

    private static void CollectStages(BsonValue value, List<string> stages)
    {
        if (value is BsonDocument document)
        {
            foreach (var element in document)
            {
                if (element.Name == "stage" && element.Value.IsString)
                {
                    stages.Add(element.Value.AsString);
                }
                else
                {
                    CollectStages(element.Value, stages);
                }
            }
        }
        else if (value is BsonArray array)
        {
            foreach (var item in array)
            {
                CollectStages(item, stages);
            }
        }
    }
}
