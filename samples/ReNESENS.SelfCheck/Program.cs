using System.CommandLine;
using ReNESENS.SelfCheck;

var seconds = new Option<double>("--seconds")
{
    Description = "How long each throughput measurement runs.",
    DefaultValueFactory = _ => 1.0,
};
var sysfs = new Option<string>("--sysfs")
{
    Description = "The sysfs root the PCI probe reads.",
    DefaultValueFactory = _ => "/sys",
};
var root = new RootCommand("ReNESENS.DataPlane self-check: what this host offers the data plane, and how fast the rings run here.")
{
    seconds,
    sysfs,
};
root.SetAction(result =>
{
    double s = result.GetValue(seconds);
    if (s is <= 0 or > 60)
    {
        Console.Error.WriteLine("--seconds must be in (0, 60].");
        return 2;
    }

    return HostReport.Run(Console.Out, TimeSpan.FromSeconds(s), result.GetValue(sysfs)!);
});
return root.Parse(args).Invoke();
