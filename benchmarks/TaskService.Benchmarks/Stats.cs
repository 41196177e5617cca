using System.Diagnostics;
using System.Globalization;

namespace TaskService.Benchmarks;

internal static class Stats
{
    public static double Milliseconds(long fromTimestamp, long toTimestamp) =>
        (toTimestamp - fromTimestamp) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Nearest-rank percentile of an ascending list.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static string Summary(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"n={sorted.Count} p50={Percentile(sorted, 50):F2} ms p95={Percentile(sorted, 95):F2} ms p99={Percentile(sorted, 99):F2} ms max={(sorted.Count == 0 ? double.NaN : sorted[^1]):F2} ms mean={(sorted.Count == 0 ? double.NaN : sorted.Average()):F2} ms");
    }

    public static string F(double value, int decimals = 1) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
