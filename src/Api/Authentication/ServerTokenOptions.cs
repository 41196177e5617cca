namespace TaskService.Api.Authentication;

public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Tokens accepted in <c>X-Tidepool-Session-Token</c>.</summary>
    public List<string> ServerTokens { get; set; } = [];

    /// <summary>Accepted in <c>X-Tidepool-Service-Secret</c>, for callers inside the platform.</summary>
    public string? ServiceSecret { get; set; }

    public bool IsConfigured => ServerTokens.Any(token => token.Length > 0) || !string.IsNullOrEmpty(ServiceSecret);
}
