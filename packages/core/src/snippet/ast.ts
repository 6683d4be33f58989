/**
 * The typed abstract syntax tree of the snippet language.
 *
 * Model code (`sim`, `threshold`, `reset`, `preSpike`, `synapseDynamics`, custom `update`
 * code, ...) is scanned, parsed and type-checked once by `@snn/core` into this tree. Backends
 * print it (to JavaScript, to WGSL); core never emits target-language text.
 *
 * Every expression carries its checked `type`. Implicit conversions the checker allows
 * (an `int`/`uint` operand of a float operation, an integer literal where a float is
 * expected) appear as explicit {@link ConvertExpression} nodes, so that a printer for a
 * strictly typed target such as WGSL needs no type inference of its own.
 */

/** Scalar types of the snippet language: 32-bit float, signed and unsigned int, bool. */
export type ScalarType = "float" | "int" | "uint" | "bool";

/** A position in a snippet's source text: 1-based line and column, 0-based offset. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** What a name in model code refers to; backends map each binding kind to storage. */
export type Binding =
  /** A model parameter (constant for a group; may differ between groups merged together). */
  | { readonly kind: "param"; readonly name: string }
  /** A derived parameter, computed on the host from params and `dt`. */
  | { readonly kind: "derivedParam"; readonly name: string }
  /** A state variable of the model the code belongs to (neuron, synapse, custom update). */
  | { readonly kind: "var"; readonly name: string }
  /** Weight-update model: a per-presynaptic-neuron variable of the projection. */
  | { readonly kind: "preVar"; readonly name: string }
  /** Weight-update model: a per-postsynaptic-neuron variable of the projection. */
  | { readonly kind: "postVar"; readonly name: string }
  /** Weight-update model: a variable of the pre- (`X_pre`) or postsynaptic (`X_post`) neuron model. */
  | { readonly kind: "neuronVarRef"; readonly side: "pre" | "post"; readonly name: string }
  /** Custom update: a reference to a variable of another group. */
  | { readonly kind: "varRef"; readonly name: string }
  /** Neuron model: an additional input variable (zeroed each step, fed by `addToPost`/`addToPre`). */
  | { readonly kind: "additionalInput"; readonly name: string }
  /** Neuron model: `Isyn`, the summed postsynaptic input of this step. Postsynaptic model: `inSyn`. */
  | { readonly kind: "input"; readonly name: "Isyn" | "inSyn" }
  /** Built-in read-only values: `dt` (ms), `t` (ms since the trial started), `step`, `batch`, `id`. */
  | { readonly kind: "builtin"; readonly name: BuiltinValue }
  /** A local declared with `let` in this snippet; `id` is unique within the snippet. */
  | { readonly kind: "local"; readonly name: string; readonly id: number };

/** Built-in read-only values available in every snippet. */
export type BuiltinValue =
  | "dt" // timestep, ms (float)
  | "t" // time at the start of this step, ms (float)
  | "step" // timestep index within the trial (uint)
  | "batch" // batch element index (uint)
  | "id" // index of the neuron (or synapse, or custom update element) (uint)
  | "id_pre" // weight-update code: presynaptic neuron index (uint)
  | "id_post"; // weight-update code: postsynaptic neuron index (uint)

/** Functions of the fixed math library and the built-ins with side effects. */
export type BuiltinFunction =
  | "exp"
  | "log"
  | "sqrt"
  | "abs"
  | "min"
  | "max"
  | "pow"
  | "sin"
  | "cos"
  | "tanh"
  | "floor"
  | "ceil"
  | "clamp"
  | "uniform" // uniform() in [0, 1), from the counter-based generator
  | "normal" // normal() standard normal, from the counter-based generator
  | "addToPost" // weight-update code: add to the postsynaptic neuron's input
  | "addToPre"; // weight-update code: add to the presynaptic neuron's input

export type BinaryOperator =
  "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";

export type UnaryOperator = "-" | "!";

export type AssignmentOperator = "=" | "+=" | "-=" | "*=" | "/=";

interface NodeBase {
  readonly position: SourcePosition;
}

export interface LiteralExpression extends NodeBase {
  readonly kind: "literal";
  readonly type: ScalarType;
  /** The value; bools as 1/0. */
  readonly value: number;
}

export interface IdentifierExpression extends NodeBase {
  readonly kind: "identifier";
  readonly type: ScalarType;
  readonly name: string;
  readonly binding: Binding;
}

export interface UnaryExpression extends NodeBase {
  readonly kind: "unary";
  readonly type: ScalarType;
  readonly operator: UnaryOperator;
  readonly operand: Expression;
}

export interface BinaryExpression extends NodeBase {
  readonly kind: "binary";
  readonly type: ScalarType;
  readonly operator: BinaryOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export interface ConditionalExpression extends NodeBase {
  readonly kind: "conditional";
  readonly type: ScalarType;
  readonly condition: Expression;
  readonly whenTrue: Expression;
  readonly whenFalse: Expression;
}

export interface CallExpression extends NodeBase {
  readonly kind: "call";
  /** Result type; `addToPost`/`addToPre` have none and appear only as statements. */
  readonly type: ScalarType | "void";
  readonly callee: BuiltinFunction;
  readonly args: readonly Expression[];
}

/** An explicit conversion: written as `float(x)`, `int(x)`, `uint(x)`, or inserted by the checker. */
export interface ConvertExpression extends NodeBase {
  readonly kind: "convert";
  readonly type: ScalarType;
  readonly operand: Expression;
  /** True when the checker inserted it (an implicit conversion), false when written in the source. */
  readonly implicit: boolean;
}

export type Expression =
  | LiteralExpression
  | IdentifierExpression
  | UnaryExpression
  | BinaryExpression
  | ConditionalExpression
  | CallExpression
  | ConvertExpression;

export interface LetStatement extends NodeBase {
  readonly kind: "let";
  readonly name: string;
  readonly binding: Extract<Binding, { kind: "local" }>;
  readonly type: ScalarType;
  readonly init: Expression;
}

export interface AssignStatement extends NodeBase {
  readonly kind: "assign";
  readonly target: IdentifierExpression;
  readonly operator: AssignmentOperator;
  /** Already converted to the target's type. */
  readonly value: Expression;
}

export interface IfStatement extends NodeBase {
  readonly kind: "if";
  readonly condition: Expression;
  readonly then: Block;
  readonly otherwise: Block | null;
}

export interface ExpressionStatement extends NodeBase {
  readonly kind: "expression";
  readonly expression: CallExpression;
}

export interface Block extends NodeBase {
  readonly kind: "block";
  readonly statements: readonly Statement[];
}

export type Statement = LetStatement | AssignStatement | IfStatement | ExpressionStatement | Block;

/** A checked snippet: a statement list, or a single boolean expression (threshold conditions). */
export type CheckedSnippet =
  | { readonly kind: "statements"; readonly body: Block; readonly source: string }
  | { readonly kind: "expression"; readonly body: Expression; readonly source: string };
