using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using TaskService.Api.Errors;

namespace TaskService.Api.Authentication;

/// <summary>
/// Accepts a server token in <c>X-Tidepool-Session-Token</c> or the service secret in <c>X-Tidepool-Service-Secret</c>.
/// Every credential header present must hold exactly one known value; tokens are compared in constant time and never logged.
/// </summary>
public sealed class ServerTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AuthOptions> auth)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "serverToken";
    public const string SessionTokenHeader = "X-Tidepool-Session-Token";
    public const string ServiceSecretHeader = "X-Tidepool-Service-Secret";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = Request.Headers[SessionTokenHeader];
        var secret = Request.Headers[ServiceSecretHeader];
        if (token.Count == 0 && secret.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var settings = auth.CurrentValue;
        var tokenValid = token.Count == 0 || IsSingleKnown(token, settings.ServerTokens);
        var secretValid = secret.Count == 0 || IsSingleKnown(secret, string.IsNullOrEmpty(settings.ServiceSecret) ? [] : [settings.ServiceSecret]);
        if (!tokenValid || !secretValid)
        {
            return Task.FromResult(AuthenticateResult.Fail("Invalid server credentials."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, "server")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ErrorWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            $"A valid server credential is required in the {SessionTokenHeader} header.");

    private static bool IsSingleKnown(StringValues presented, IEnumerable<string> known)
    {
        if (presented.Count != 1 || string.IsNullOrEmpty(presented[0]))
        {
            return false;
        }

        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented[0]!));
        var match = false;
        foreach (var candidate in known.Where(candidate => candidate.Length > 0))
        {
            // Hashing first makes the comparison constant-time regardless of length; no early exit on a match.
            match |= CryptographicOperations.FixedTimeEquals(presentedHash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));
        }

        return match;
    }
}
