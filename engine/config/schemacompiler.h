#pragma once

#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

class QJsonObject;
class QJsonValue;

namespace Gatehouse {

struct SchemaNode;

// Turns schema JSON into a SchemaNode tree, once, when a project or collection is loaded.
// Every problem (unsupported keyword value, bad regular expression, wrong type) is appended
// to the error list as "<JSON Pointer into the schema>: <message>"; the offending keyword is
// then left out of the tree. Used only by JsonSchema; lives on the caller's thread.
class SchemaCompiler
{
public:
    explicit SchemaCompiler(QStringList *errors);

    // `schema` is an object or a boolean schema; `pointer` locates it in the source file.
    std::shared_ptr<const SchemaNode> compile(const QJsonValue &schema, const QString &pointer);

private:
    void compileKeyword(SchemaNode &node, const QString &keyword, const QJsonValue &value,
                        const QString &pointer);
    void compileType(SchemaNode &node, const QJsonValue &value, const QString &pointer);
    void compileRequired(SchemaNode &node, const QJsonValue &value, const QString &pointer);
    void compileProperties(SchemaNode &node, const QJsonValue &value, const QString &pointer);
    void compilePattern(SchemaNode &node, const QJsonValue &value, const QString &pointer);
    void compilePatternProperties(SchemaNode &node, const QJsonValue &value, const QString &pointer);
    void compileDependentRequired(SchemaNode &node, const QJsonValue &value, const QString &pointer);
    std::vector<std::shared_ptr<const SchemaNode>> compileList(const QJsonValue &value, const QString &pointer);
    std::optional<double> number(const QJsonValue &value, const QString &pointer);
    std::optional<qint64> count(const QJsonValue &value, const QString &pointer);
    void error(const QString &pointer, const QString &message);

    QStringList *m_errors;
};

} // namespace Gatehouse
