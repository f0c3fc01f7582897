using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Abuse;

internal static class AbuseServiceCollectionExtensions
{
    /// <summary>The limiters on failed key and failed admin-token attempts.</summary>
    public static IServiceCollection AddAbuseLimits(this IServiceCollection services, ValidatedConfiguration validated)
    {
        services.AddValidatedOptions<AbuseOptions>(validated, AbuseOptions.Section)
            .Validate(o => o.Window > TimeSpan.Zero, "Abuse:Window must be positive.");
        services.AddSingleton(sp =>
        {
            var abuse = sp.GetRequiredService<IOptions<AbuseOptions>>().Value;
            return new AbuseLimiters(
                new FailedAttemptLimiter(abuse.FailedKeyAttempts, abuse.Window),
                new FailedAttemptLimiter(abuse.FailedAdminAttempts, abuse.Window));
        });
        return services;
    }
}
