import { describe, expect, it } from "vitest";
import type { AssignStatement, Block, IfStatement, LetStatement } from "./ast";
import { checkSnippet } from "./checker";
import {
  expression,
  expressionOptions,
  show,
  showStatements,
  statementOptions,
  statements,
} from "./test-helpers";

describe("checkSnippet: typed trees", () => {
  it("builds the exact tree of a small statement, with positions", () => {
    const body = statements("V += n * dt;");
    expect(body).toEqual({
      kind: "block",
      position: { line: 1, column: 1, offset: 0 },
      statements: [
        {
          kind: "assign",
          position: { line: 1, column: 1, offset: 0 },
          operator: "+=",
          target: {
            kind: "identifier",
            position: { line: 1, column: 1, offset: 0 },
            type: "float",
            name: "V",
            binding: { kind: "var", name: "V" },
          },
          value: {
            kind: "binary",
            position: { line: 1, column: 6, offset: 5 },
            type: "float",
            operator: "*",
            left: {
              kind: "convert",
              position: { line: 1, column: 6, offset: 5 },
              type: "float",
              implicit: true,
              operand: {
                kind: "identifier",
                position: { line: 1, column: 6, offset: 5 },
                type: "int",
                name: "n",
                binding: { kind: "var", name: "n" },
              },
            },
            right: {
              kind: "identifier",
              position: { line: 1, column: 10, offset: 9 },
              type: "float",
              name: "dt",
              binding: { kind: "builtin", name: "dt" },
            },
          },
        },
      ],
    });
  });

  it("returns the source with the checked snippet", () => {
    const checked = checkSnippet("V = 0.0;", statementOptions());
    expect(checked.kind).toBe("statements");
    expect(checked.source).toBe("V = 0.0;");
    const condition = checkSnippet("V >= 1.0", expressionOptions());
    expect(condition.kind).toBe("expression");
    expect(condition.source).toBe("V >= 1.0");
  });

  it("types literals of every kind", () => {
    expect(show(expression("1"))).toBe("1:int");
    expect(show(expression("1u"))).toBe("1:uint");
    expect(show(expression("1.0"))).toBe("1:float");
    expect(show(expression(".5"))).toBe("0.5:float");
    expect(show(expression("1e-3"))).toBe("0.001:float");
    expect(show(expression("1.5f"))).toBe("1.5:float");
    expect(show(expression("true"))).toBe("1:bool");
    expect(show(expression("false"))).toBe("0:bool");
  });

  it("resolves environment names to their bindings and types", () => {
    expect(show(expression("V_post"))).toBe("V_post@post:float");
    const identifier = expression("alpha");
    expect(identifier).toMatchObject({
      kind: "identifier",
      type: "float",
      binding: { kind: "derivedParam", name: "alpha" },
    });
    expect(expression("Isyn")).toMatchObject({
      type: "float",
      binding: { kind: "input", name: "Isyn" },
    });
    expect(expression("step")).toMatchObject({
      type: "uint",
      binding: { kind: "builtin", name: "step" },
    });
  });

  it("adapts integer literals to float and uint operands", () => {
    expect(show(expression("V * 2"))).toBe("(*:float V:float 2:float)");
    expect(show(expression("2 * V"))).toBe("(*:float 2:float V:float)");
    expect(show(expression("count + 1"))).toBe("(+:uint count:uint 1:uint)");
    expect(show(expression("1 + count"))).toBe("(+:uint 1:uint count:uint)");
    expect(show(expression("n + 1"))).toBe("(+:int n:int 1:int)");
    expect(show(expression("V - -1"))).toBe("(-:float V:float (-:float 1:float))");
    expect(show(expression("1 + 2"))).toBe("(+:int 1:int 2:int)");
    expect(show(expression("1u + 2"))).toBe("(+:uint 1:uint 2:uint)");
  });

  it("inserts implicit conversions of int and uint expressions next to floats", () => {
    expect(show(expression("V + n"))).toBe("(+:float V:float (convert!:float n:int))");
    expect(show(expression("count * dt"))).toBe("(*:float (convert!:float count:uint) dt:float)");
    // A composite integer expression is not a literal: it is converted as a whole.
    expect(show(expression("V * (1 + 2)"))).toBe(
      "(*:float V:float (convert!:float (+:int 1:int 2:int)))",
    );
    expect(show(expression("V < n"))).toBe("(<:bool V:float (convert!:float n:int))");
  });

  it("follows C precedence and associativity", () => {
    expect(show(expression("1 + 2 * 3"))).toBe("(+:int 1:int (*:int 2:int 3:int))");
    expect(show(expression("(1 + 2) * 3"))).toBe("(*:int (+:int 1:int 2:int) 3:int)");
    expect(show(expression("10 - 4 - 3"))).toBe("(-:int (-:int 10:int 4:int) 3:int)");
    expect(show(expression("8 / 4 / 2"))).toBe("(/:int (/:int 8:int 4:int) 2:int)");
    expect(show(expression("7 % 3 * 2"))).toBe("(*:int (%:int 7:int 3:int) 2:int)");
    expect(show(expression("-V * 2.0"))).toBe("(*:float (-:float V:float) 2:float)");
    expect(show(expression("V < 1.0 == spiked"))).toBe(
      "(==:bool (<:bool V:float 1:float) spiked:bool)",
    );
    expect(show(expression("spiked || V > 1.0 && !spiked"))).toBe(
      "(||:bool spiked:bool (&&:bool (>:bool V:float 1:float) (!:bool spiked:bool)))",
    );
    expect(show(expression("spiked ? 1.0 : spiked ? 2.0 : 3.0"))).toBe(
      "(?:float spiked:bool 1:float (?:float spiked:bool 2:float 3:float))",
    );
    expect(show(expression("V > 0.0 ? V : -V"))).toBe(
      "(?:float (>:bool V:float 0:float) V:float (-:float V:float))",
    );
  });

  it("types comparisons, logic, equality of bools and remainder of floats", () => {
    expect(show(expression("spiked == false"))).toBe("(==:bool spiked:bool 0:bool)");
    expect(show(expression("spiked != (V > 1.0)"))).toBe(
      "(!=:bool spiked:bool (>:bool V:float 1:float))",
    );
    expect(show(expression("V % 2.5"))).toBe("(%:float V:float 2.5:float)");
    expect(show(expression("count % 2"))).toBe("(%:uint count:uint 2:uint)");
    expect(show(expression("id >= 3u"))).toBe("(>=:bool id:uint 3:uint)");
  });

  it("unifies the branches of a ternary", () => {
    expect(show(expression("spiked ? 1 : V"))).toBe("(?:float spiked:bool 1:float V:float)");
    expect(show(expression("spiked ? n : V"))).toBe(
      "(?:float spiked:bool (convert!:float n:int) V:float)",
    );
    expect(show(expression("spiked ? count : 0"))).toBe("(?:uint spiked:bool count:uint 0:uint)");
    expect(show(expression("V > 1.0 ? true : spiked"))).toBe(
      "(?:bool (>:bool V:float 1:float) 1:bool spiked:bool)",
    );
  });

  it("types math library calls", () => {
    expect(show(expression("exp(-dt / tau)"))).toBe(
      "(exp:float (/:float (-:float dt:float) tau:float))",
    );
    expect(show(expression("exp(1)"))).toBe("(exp:float 1:float)");
    expect(show(expression("sqrt(n)"))).toBe("(sqrt:float (convert!:float n:int))");
    expect(show(expression("pow(V, 2)"))).toBe("(pow:float V:float 2:float)");
    for (const name of ["log", "sin", "cos", "tanh", "floor", "ceil"]) {
      expect(show(expression(`${name}(V)`))).toBe(`(${name}:float V:float)`);
    }
    expect(show(expression("abs(V)"))).toBe("(abs:float V:float)");
    expect(show(expression("abs(n)"))).toBe("(abs:int n:int)");
    expect(show(expression("min(V, 0)"))).toBe("(min:float V:float 0:float)");
    expect(show(expression("max(n, 0)"))).toBe("(max:int n:int 0:int)");
    expect(show(expression("max(count, 1)"))).toBe("(max:uint count:uint 1:uint)");
    expect(show(expression("min(n, V)"))).toBe("(min:float (convert!:float n:int) V:float)");
    expect(show(expression("clamp(V, 0, 1.5)"))).toBe("(clamp:float V:float 0:float 1.5:float)");
    expect(show(expression("clamp(n, -1, 1)"))).toBe("(clamp:int n:int (-:int 1:int) 1:int)");
    expect(show(expression("uniform() < 0.5"))).toBe("(<:bool (uniform:float) 0.5:float)");
    expect(show(expression("normal()"))).toBe("(normal:float)");
  });

  it("types explicit casts as non-implicit conversions", () => {
    expect(show(expression("float(n)"))).toBe("(convert:float n:int)");
    expect(show(expression("int(V)"))).toBe("(convert:int V:float)");
    expect(show(expression("uint(n) + count"))).toBe("(+:uint (convert:uint n:int) count:uint)");
    expect(show(expression("bool(n)"))).toBe("(convert:bool n:int)");
    expect(show(expression("float(spiked) * V"))).toBe(
      "(*:float (convert:float spiked:bool) V:float)",
    );
    expect(show(expression("float(V)"))).toBe("(convert:float V:float)");
  });

  it("declares block-scoped locals with unique ids and declared or inferred types", () => {
    const body = statements(
      [
        "let a = 1;",
        "let b: float = 1;",
        "let c: float = n;",
        "let d: uint = 3;",
        "let e = V > 1.0;",
        "if (e) { let x = a; V = x; } else { let x = 2.0; V = x; }",
        "{ let y = b; }",
        "{ let y = c; }",
      ].join("\n"),
    );
    expect(showStatements(body)).toBe(
      [
        "let a#0:int = 1:int",
        "let b#1:float = 1:float",
        "let c#2:float = (convert!:float n:int)",
        "let d#3:uint = 3:uint",
        "let e#4:bool = (>:bool V:float 1:float)",
        "if e#4:bool",
        "  let x#5:int = a#0:int",
        "  V:float = (convert!:float x#5:int)",
        "else",
        "  let x#6:float = 2:float",
        "  V:float = x#6:float",
        "{",
        "  let y#7:float = b#1:float",
        "}",
        "{",
        "  let y#8:float = c#2:float",
        "}",
      ].join("\n"),
    );
    const first = body.statements[0] as LetStatement;
    expect(first.binding).toEqual({ kind: "local", name: "a", id: 0 });
    expect(first.position).toEqual({ line: 1, column: 1, offset: 0 });
  });

  it("checks assignment and compound assignment with safe conversions", () => {
    const body = statements(
      "V = 0; V = n; V += 1; V -= count; V *= 0.5; V /= tau; n = 2; n += 1; count = 1; count -= 1; spiked = V > 1.0; g = -1;",
    );
    expect(showStatements(body)).toBe(
      [
        "V:float = 0:float",
        "V:float = (convert!:float n:int)",
        "V:float += 1:float",
        "V:float -= (convert!:float count:uint)",
        "V:float *= 0.5:float",
        "V:float /= tau:float",
        "n:int = 2:int",
        "n:int += 1:int",
        "count:uint = 1:uint",
        "count:uint -= 1:uint",
        "spiked:bool = (>:bool V:float 1:float)",
        "g:float = (-:float 1:float)",
      ].join("\n"),
    );
    expect((body.statements[2] as AssignStatement).operator).toBe("+=");
  });

  it("parses if / else if / else chains, braced or single statements", () => {
    const body = statements(
      "if (V > 1.0) V = 0.0;\nelse if (V < -1.0) { V = -1.0; spiked = false; }\nelse V += 1.0;",
    );
    expect(showStatements(body)).toBe(
      [
        "if (>:bool V:float 1:float)",
        "  V:float = 0:float",
        "else",
        "  if (<:bool V:float (-:float 1:float))",
        "    V:float = (-:float 1:float)",
        "    spiked:bool = 0:bool",
        "  else",
        "    V:float += 1:float",
      ].join("\n"),
    );
    const outer = body.statements[0] as IfStatement;
    expect(outer.position).toEqual({ line: 1, column: 1, offset: 0 });
    expect(outer.then.kind).toBe("block");
    expect(outer.otherwise?.position).toEqual({ line: 2, column: 6, offset: 27 });
    const inner = outer.otherwise?.statements[0] as IfStatement;
    expect(inner.kind).toBe("if");
    expect(inner.otherwise?.statements).toHaveLength(1);
    expect(statements("if (spiked) {}").statements[0]).toMatchObject({
      kind: "if",
      otherwise: null,
      then: { statements: [] },
    });
  });

  it("accepts addToPost/addToPre as statements where allowed", () => {
    const body = statements("addToPost(g); addToPre(1);", {
      extraFunctions: ["addToPost", "addToPre"],
    });
    expect(showStatements(body)).toBe(
      ["(addToPost:void g:float)", "(addToPre:void 1:float)"].join("\n"),
    );
    expect(body.statements[0]).toMatchObject({
      kind: "expression",
      expression: { kind: "call", callee: "addToPost", type: "void" },
    });
  });

  it("handles multi-line code with comments, empty statements and nested blocks", () => {
    const source = [
      "// leaky integration",
      "let a = exp(-dt / tau); /* decay */",
      "V = a * V + (1.0 - a) * Isyn;;",
      "{",
      "  /* nested",
      "     comment */ { RefracTime -= dt; }",
      "}",
    ].join("\n");
    const body = statements(source);
    expect(body.statements.map((s) => s.kind)).toEqual(["let", "assign", "block"]);
    const nested = (body.statements[2] as Block).statements[0] as Block;
    const assign = nested.statements[0] as AssignStatement;
    expect(assign.position).toEqual({ line: 6, column: 19, offset: source.indexOf("RefracTime") });
    expect(show(assign.value)).toBe("dt:float");
  });

  it("accepts an empty statements snippet", () => {
    expect(statements("").statements).toEqual([]);
    expect(statements("  // nothing\n").statements).toEqual([]);
  });

  it("accepts an expression snippet with a trailing semicolon and converts to the expected type", () => {
    expect(show(expression("V >= 1.0;", { expectedType: "bool" }))).toBe(
      "(>=:bool V:float 1:float)",
    );
    expect(show(expression("1", { expectedType: "float" }))).toBe("1:float");
    expect(show(expression("n", { expectedType: "float" }))).toBe("(convert!:float n:int)");
    expect(show(expression("count", { expectedType: "uint" }))).toBe("count:uint");
  });
});
