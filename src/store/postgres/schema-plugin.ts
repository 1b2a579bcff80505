/**
 * The migrations are written once, in the types SQLite takes; on PostgreSQL
 * this plugin turns them into PostgreSQL's while they run: `blob` is
 * `bytea`, `integer` is `bigint` (SQLite's integers are 64-bit), and an
 * auto-increment key is a `bigserial`. The migration history stays one list
 * for both databases, and shipped migrations are never edited.
 */
import {
  DataTypeNode,
  OperationNodeTransformer,
  type ColumnDefinitionNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

class ToPostgresTypes extends OperationNodeTransformer {
  protected override transformColumnDefinition(node: ColumnDefinitionNode): ColumnDefinitionNode {
    const column = super.transformColumnDefinition(node);
    if (column.autoIncrement !== true) return column;
    return Object.freeze({ ...column, dataType: DataTypeNode.create('bigserial'), autoIncrement: false });
  }

  protected override transformDataType(node: DataTypeNode): DataTypeNode {
    if (node.dataType === 'blob') return DataTypeNode.create('bytea');
    if (node.dataType === 'integer') return DataTypeNode.create('bigint');
    return node;
  }
}

export class PostgresSchemaPlugin implements KyselyPlugin {
  private readonly transformer = new ToPostgresTypes();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
