using System.ComponentModel.DataAnnotations;
using Gateway.Keys;
using Microsoft.Extensions.Options;

namespace Gateway.ClientAddresses;

/// <summary>
/// <c>ForwardedHeaders</c>: which peers of the proxy listener may say, in <c>X-Forwarded-For</c>, whom they forward
/// for (contract §8). Empty lists, the default, trust no peer: loopback included, unlike ASP.NET Core's default.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies (<c>10.0.0.5</c>, <c>2001:db8::5</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>CIDR blocks of trusted proxies (<c>10.0.0.0/8</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>
    /// How many <c>X-Forwarded-For</c> entries are read, right to left, while each one read is itself a trusted proxy
    /// (ASP.NET Core's <c>ForwardLimit</c>). Only a chain of trusted proxies uses more than one.
    /// </summary>
    [Range(1, 100)]
    public int ForwardLimit { get; set; } = 10;
}

/// <summary>Every bad entry at once, by its configuration key, at start and on every reload.</summary>
internal sealed class ForwardedHeadersSettingsValidator : IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
    {
        var problems = new List<string>();
        for (var i = 0; i < options.KnownProxies.Count; i++)
        {
            if (AllowedIps.ParseEntry(options.KnownProxies[i] ?? "", out var block) is { } problem || !IsSingleAddress(block))
            {
                problems.Add($"{ForwardedHeadersSettings.Section}:KnownProxies:{i} must be one IPv4 or IPv6 address ('{options.KnownProxies[i]}').");
            }
        }

        for (var i = 0; i < options.KnownNetworks.Count; i++)
        {
            if (AllowedIps.ParseEntry(options.KnownNetworks[i] ?? "", out _) is { } problem)
            {
                problems.Add($"{ForwardedHeadersSettings.Section}:KnownNetworks:{i} must be a CIDR block: {problem}.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static bool IsSingleAddress(System.Net.IPNetwork block) =>
        block.PrefixLength == (block.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
}
