// Files imported `with { type: "text" }` are embedded as strings (and into the compiled binary).
declare module "*.toml" {
  const text: string;
  export default text;
}
