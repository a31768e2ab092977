using Microsoft.Extensions.Options;
using ReNESENS.DataPlane.Nvme;

namespace ReNESENS.DataPlane.Hosting;

/// <summary>Validates the hosted target's options at host start: every problem, named by its configuration path.</summary>
internal sealed class NvmeTcpTargetOptionsValidation : IValidateOptions<NvmeTcpTargetOptions>
{
    public ValidateOptionsResult Validate(string? name, NvmeTcpTargetOptions options)
    {
        List<string> errors = NvmeTargetOptionsValidator.Collect(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
