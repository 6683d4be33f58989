/**
 * The untyped syntax tree of the snippet language: what `parser.ts` builds from the tokens
 * and the checker turns into the typed AST of `ast.ts`. Positions and operators are those of
 * the source; names are not resolved and nothing is typed yet.
 */
import type { AssignmentOperator, BinaryOperator, SourcePosition, UnaryOperator } from "./ast";
import type { LiteralType } from "./scanner";

/** An expression of the untyped syntax tree. */
export type SyntaxExpression =
  | {
      readonly kind: "number";
      readonly position: SourcePosition;
      readonly text: string;
      readonly value: number;
      readonly literalType: LiteralType;
    }
  | { readonly kind: "bool"; readonly position: SourcePosition; readonly value: boolean }
  | { readonly kind: "name"; readonly position: SourcePosition; readonly name: string }
  | {
      readonly kind: "unary";
      readonly position: SourcePosition;
      readonly operator: UnaryOperator;
      readonly operand: SyntaxExpression;
    }
  | {
      readonly kind: "binary";
      /** Start of the left operand. */
      readonly position: SourcePosition;
      readonly operatorPosition: SourcePosition;
      readonly operator: BinaryOperator;
      readonly left: SyntaxExpression;
      readonly right: SyntaxExpression;
    }
  | {
      readonly kind: "conditional";
      readonly position: SourcePosition;
      readonly questionPosition: SourcePosition;
      readonly condition: SyntaxExpression;
      readonly whenTrue: SyntaxExpression;
      readonly whenFalse: SyntaxExpression;
    }
  | {
      readonly kind: "call";
      /** Position of the callee name. */
      readonly position: SourcePosition;
      readonly callee: string;
      readonly args: readonly SyntaxExpression[];
    };

export type SyntaxStatement =
  | {
      readonly kind: "let";
      readonly position: SourcePosition;
      readonly name: string;
      readonly namePosition: SourcePosition;
      readonly declaredType: { readonly name: string; readonly position: SourcePosition } | null;
      readonly init: SyntaxExpression;
    }
  | {
      readonly kind: "assign";
      readonly position: SourcePosition;
      readonly target: Extract<SyntaxExpression, { kind: "name" }>;
      readonly operator: AssignmentOperator;
      readonly operatorPosition: SourcePosition;
      readonly value: SyntaxExpression;
    }
  | {
      readonly kind: "if";
      readonly position: SourcePosition;
      readonly condition: SyntaxExpression;
      readonly then: SyntaxBlock;
      readonly otherwise: SyntaxBlock | null;
    }
  | {
      readonly kind: "expression";
      readonly position: SourcePosition;
      readonly expression: SyntaxExpression;
    }
  | SyntaxBlock;

export interface SyntaxBlock {
  readonly kind: "block";
  readonly position: SourcePosition;
  readonly statements: readonly SyntaxStatement[];
}
