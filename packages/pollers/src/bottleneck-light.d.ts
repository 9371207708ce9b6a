// bottleneck ships types for its default entry only; the light build has the same API minus the
// Redis clustering, which this package does not use.
declare module "bottleneck/light.js" {
  import Bottleneck from "bottleneck";
  export default Bottleneck;
}
