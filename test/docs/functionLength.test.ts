import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * STYLE point 10 and issue #11: a function in shipped code (lambdas/, lib/, scripts/, bin/) fits in
 * one screen, at most 150 lines — a longer one is several named steps. Measured as the before-stop
 * hook does: every function declaration, function expression, arrow function, method and
 * constructor, from its first line to its last.
 */
const MAX_LINES = 150;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SHIPPED = ["lambdas", "lib", "scripts", "bin"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** `file:line (n lines)` for each function longer than `max` lines in `text`. */
function longFunctions(file: string, text: string, max = MAX_LINES): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isAccessor(node)
    ) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (last - first + 1 > max) found.push(`${file}:${first + 1} (${last - first + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("function length in shipped code", () => {
  it("measures a function from its first line to its last", () => {
    // Prepare
    const body = Array.from({ length: 5 }, (_, i) => `  const a${i} = ${i};`).join("\n");
    const text = `export function f() {\n${body}\n}\nconst g = () => 1;\n`;
    // Act
    const found = longFunctions("x.ts", text, 6);
    // Assess: f spans 7 lines, g one.
    expect(found).toEqual(["x.ts:1 (7 lines)"]);
  });

  it(`has no function over ${MAX_LINES} lines in ${SHIPPED.join("/, ")}/`, () => {
    // Act
    const found = SHIPPED.flatMap((dir) =>
      sourceFiles(join(ROOT, dir)).flatMap((file) =>
        longFunctions(relative(ROOT, file), readFileSync(file, "utf8")),
      ),
    );
    // Assess
    expect(found).toEqual([]);
  });
});
