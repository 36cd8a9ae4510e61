using System.Runtime.Versioning;

// Local infrastructure mode (what this measures) runs on Linux.
[assembly: SupportedOSPlatform("linux")]
