/** The names a declaration file exports (values and types), read with the TypeScript compiler. */
import ts from "typescript";

/** For each `.d.ts` path: its exported names, sorted. One program for all, so shared files parse once. */
export function declaredExports(files: string[]): Map<string, string[]> {
  const program = ts.createProgram(files, {
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`declaredExports: cannot read ${file}`);
    const symbol = checker.getSymbolAtLocation(source);
    result.set(file, symbol ? checker.getExportsOfModule(symbol).map((s) => s.name).sort() : []);
  }
  return result;
}

/** Every declaration file the given entries reach (their import graph), as absolute paths. */
export function declarationGraph(files: string[]): string[] {
  const program = ts.createProgram(files, { noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], noLib: true });
  return program
    .getSourceFiles()
    .map((s) => s.fileName)
    .filter((name) => !name.includes("/node_modules/typescript/"));
}
