using System.Runtime.Versioning;

// Local infrastructure mode (and so these tests) runs on Linux.
[assembly: SupportedOSPlatform("linux")]
