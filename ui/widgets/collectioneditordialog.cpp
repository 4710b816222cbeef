#include "collectioneditordialog.h"

#include "engineclient.h"

#include "config/collection.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>
#include <optional>

namespace Gatehouse::Ui {

namespace {

// Where a JSON text stops parsing, as "line L, column C: what".
QString parseProblem(const QString &what, const QString &text, const QJsonParseError &error)
{
    const QByteArray utf8 = text.toUtf8();
    const QByteArray before = utf8.left(error.offset);
    const int line = int(before.count('\n')) + 1;
    const int column = int(before.size() - before.lastIndexOf('\n'));
    return QObject::tr("%1: line %2, column %3: %4").arg(what).arg(line).arg(column).arg(error.errorString());
}

std::optional<QJsonObject> parseObject(const QString &what, const QString &text, QStringList *problems)
{
    if (text.trimmed().isEmpty())
        return QJsonObject();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError) {
        problems->append(parseProblem(what, text, error));
        return std::nullopt;
    }
    if (!doc.isObject()) {
        problems->append(QObject::tr("%1: must be a JSON object").arg(what));
        return std::nullopt;
    }
    return doc.object();
}

QString pretty(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)).trimmed();
}

bool isIndexable(const QString &type)
{
    return type == QLatin1String("string") || type == QLatin1String("number") || type == QLatin1String("integer")
        || type == QLatin1String("boolean");
}

} // namespace

CollectionEditorDialog::CollectionEditorDialog(EngineClient *client, Mode mode, const QJsonObject &collection,
                                               const QStringList &existingNames, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_mode(mode)
    , m_original(collection)
    , m_existing(existingNames)
{
    setObjectName(QStringLiteral("collectionEditor"));
    const QString originalName = collection.value(QStringLiteral("name")).toString();
    setWindowTitle(mode == Mode::Create ? tr("New collection") : tr("Edit collection %1").arg(originalName));
    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    m_name = new QLineEdit(originalName, this);
    m_name->setObjectName(QStringLiteral("collectionEditorName"));
    m_name->setReadOnly(mode == Mode::Edit);
    m_name->setPlaceholderText(tr("orders"));

    m_schema = new QPlainTextEdit(this);
    m_schema->setObjectName(QStringLiteral("collectionEditorSchema"));
    m_schema->setFont(fixed);
    m_schema->setPlainText(pretty(collection.value(QStringLiteral("schema")).isObject()
                                      ? collection.value(QStringLiteral("schema")).toObject()
                                      : QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                                                    {QStringLiteral("properties"), QJsonObject()}}));

    m_indexes = new QListWidget(this);
    m_indexes->setObjectName(QStringLiteral("collectionEditorIndexes"));
    m_indexes->setToolTip(tr("Checked properties are indexed, for filters and sorting; a new index is built while queries go on"));

    m_version = new QLabel(this);
    m_version->setObjectName(QStringLiteral("collectionEditorVersion"));
    m_upcasters = new QPlainTextEdit(this);
    m_upcasters->setObjectName(QStringLiteral("collectionEditorUpcasters"));
    m_upcasters->setFont(fixed);
    m_upcasters->setPlaceholderText(tr("{\"1\": {\"rename\": {\"name\": \"title\"}, \"cast\": {\"price\": \"integer\"},\n"
                                       "       \"values\": {\"status\": {\"gone\": \"archived\"}}, \"remove\": [\"old\"],\n"
                                       "       \"default\": {\"currency\": \"EUR\"}}}"));
    const QJsonObject upcasters = collection.value(QStringLiteral("upcasters")).toObject();
    if (!upcasters.isEmpty())
        m_upcasters->setPlainText(pretty(upcasters));

    m_snapshotEvery = new QSpinBox(this);
    m_snapshotEvery->setObjectName(QStringLiteral("collectionEditorSnapshotEvery"));
    m_snapshotEvery->setRange(0, Collection::kMaxSnapshotEvery);
    m_snapshotEvery->setSpecialValueText(tr("no snapshots"));
    m_snapshotEvery->setSuffix(tr(" events"));
    m_snapshotEvery->setValue(collection.value(QStringLiteral("snapshot_every")).toInt(Collection::kDefaultSnapshotEvery));

    m_problemsLabel = new QLabel(this);
    m_problemsLabel->setObjectName(QStringLiteral("collectionEditorProblems"));
    m_problemsLabel->setStyleSheet(QStringLiteral("color: #a00000"));
    m_problemsLabel->setWordWrap(true);
    m_problemsLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_serverError = new QLabel(this);
    m_serverError->setObjectName(QStringLiteral("collectionEditorServerError"));
    m_serverError->setStyleSheet(QStringLiteral("color: #a00000"));
    m_serverError->setWordWrap(true);
    m_serverError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_serverError->hide();
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_save = buttons->button(QDialogButtonBox::Save);
    m_save->setObjectName(QStringLiteral("collectionEditorSave"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Name"), m_name);
    form->addRow(tr("S&napshot every"), m_snapshotEvery);
    auto *schemaColumn = new QWidget(this);
    auto *schemaLayout = new QVBoxLayout(schemaColumn);
    schemaLayout->setContentsMargins(0, 0, 0, 0);
    schemaLayout->addWidget(new QLabel(tr("Schema (JSON Schema; \"index\": true indexes a property)"), schemaColumn));
    schemaLayout->addWidget(m_schema, 1);
    auto *sideColumn = new QWidget(this);
    auto *sideLayout = new QVBoxLayout(sideColumn);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(new QLabel(tr("Indexes"), sideColumn));
    sideLayout->addWidget(m_indexes, 1);
    sideLayout->addWidget(m_version);
    sideLayout->addWidget(new QLabel(tr("Upcasters: the step from each older version to the next"), sideColumn));
    sideLayout->addWidget(m_upcasters, 1);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(schemaColumn);
    split->addWidget(sideColumn);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(split, 1);
    layout->addWidget(m_problemsLabel);
    layout->addWidget(m_serverError);
    layout->addWidget(buttons);

    m_buildPoll = new QTimer(this);
    m_buildPoll->setInterval(1000);
    m_buildPoll->setSingleShot(true);
    connect(m_buildPoll, &QTimer::timeout, this, &CollectionEditorDialog::pollBuilds);

    connect(m_name, &QLineEdit::textChanged, this, &CollectionEditorDialog::check);
    connect(m_schema, &QPlainTextEdit::textChanged, this, &CollectionEditorDialog::check);
    connect(m_upcasters, &QPlainTextEdit::textChanged, this, &CollectionEditorDialog::check);
    connect(m_snapshotEvery, &QSpinBox::valueChanged, this, &CollectionEditorDialog::check);
    connect(m_indexes, &QListWidget::itemChanged, this, &CollectionEditorDialog::check);
    connect(buttons, &QDialogButtonBox::accepted, this, &CollectionEditorDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    showBuilds(collection.value(QStringLiteral("index_builds")).toArray());
    check();
    resize(900, 560);
}

CollectionEditorDialog::~CollectionEditorDialog() = default;

QString CollectionEditorDialog::name() const
{
    return m_name->text().trimmed();
}

int CollectionEditorDialog::savedSchemaVersion() const
{
    const int current = m_original.value(QStringLiteral("schema_version")).toInt(1);
    if (m_mode == Mode::Create)
        return current;
    QStringList ignored;
    const std::optional<QJsonObject> schema = parseObject(QString(), m_schema->toPlainText(), &ignored);
    return schema && *schema != m_original.value(QStringLiteral("schema")).toObject() ? current + 1 : current;
}

QJsonObject CollectionEditorDialog::collectionJson() const
{
    QStringList problems;
    const std::optional<QJsonObject> schema = parseObject(tr("Schema"), m_schema->toPlainText(), &problems);
    const std::optional<QJsonObject> upcasters = parseObject(tr("Upcasters"), m_upcasters->toPlainText(), &problems);
    if (!schema || !upcasters)
        return {};
    // What the engine keeps besides what this dialog edits (commands, id pattern) goes back as it was.
    QJsonObject body;
    for (const char *member : {"commands", "id_pattern"}) {
        const QString key = QString::fromLatin1(member);
        if (m_original.contains(key))
            body.insert(key, m_original.value(key));
    }
    body.insert(QStringLiteral("schema"), *schema);
    QJsonArray indexes;
    for (int i = 0; i < m_indexes->count(); ++i) {
        const QListWidgetItem *item = m_indexes->item(i);
        if (item->checkState() == Qt::Checked && (item->flags() & Qt::ItemIsUserCheckable))
            indexes.append(item->data(Qt::UserRole).toString());
    }
    if (!indexes.isEmpty())
        body.insert(QStringLiteral("indexes"), indexes);
    if (m_snapshotEvery->value() != Collection::kDefaultSnapshotEvery)
        body.insert(QStringLiteral("snapshot_every"), m_snapshotEvery->value());
    // Emptied on purpose: said explicitly (the engine keeps upcasters a body leaves out).
    if (!upcasters->isEmpty() || m_original.contains(QStringLiteral("upcasters")))
        body.insert(QStringLiteral("upcasters"), *upcasters);
    return body;
}

void CollectionEditorDialog::check()
{
    m_problems.clear();
    const QString n = name();
    if (!Collection::isValidName(n))
        m_problems.append(tr("Name: a lower-case letter, then up to 62 of a-z 0-9 _ -"));
    else if (m_mode == Mode::Create && m_existing.contains(n))
        m_problems.append(tr("Name: '%1' exists already").arg(n));

    const std::optional<QJsonObject> schema = parseObject(tr("Schema"), m_schema->toPlainText(), &m_problems);
    const std::optional<QJsonObject> upcasters = parseObject(tr("Upcasters"), m_upcasters->toPlainText(), &m_problems);
    if (schema)
        refreshIndexes(*schema);
    const int version = savedSchemaVersion();
    if (schema && upcasters) {
        // The engine's own reading, at the version the schema will have once saved.
        QJsonObject body = collectionJson();
        body.insert(QStringLiteral("schema_version"), version);
        QStringList errors;
        Collection::fromJson(Collection::isValidName(n) ? n : QStringLiteral("c"), body, &errors);
        for (const QString &e : std::as_const(errors))
            m_problems.append(e.startsWith(u'/') ? e.mid(1) : e);
    }
    const int current = m_original.value(QStringLiteral("schema_version")).toInt(1);
    m_version->setText(m_mode == Mode::Create || version == current
                           ? tr("Schema version %1").arg(version)
                           : tr("Schema version %1; saving makes it %2 (events of older versions are read through the upcasters)")
                                 .arg(current)
                                 .arg(version));
    m_version->setWordWrap(true);
    m_problemsLabel->setText(m_problems.join(QLatin1Char('\n')));
    m_problemsLabel->setVisible(!m_problems.isEmpty());
    m_save->setEnabled(canSave());
}

void CollectionEditorDialog::refreshIndexes(const QJsonObject &schema)
{
    QStringList declared;
    for (int i = 0; i < m_indexes->count(); ++i) {
        if (m_indexes->item(i)->checkState() == Qt::Checked && (m_indexes->item(i)->flags() & Qt::ItemIsUserCheckable))
            declared.append(m_indexes->item(i)->data(Qt::UserRole).toString());
    }
    if (m_indexes->count() == 0) {
        for (const QJsonValue &v : m_original.value(QStringLiteral("indexes")).toArray())
            declared.append(v.toString());
    }
    const QSignalBlocker blocker(m_indexes);
    m_indexes->clear();
    const QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();
    for (auto it = properties.constBegin(); it != properties.constEnd(); ++it) {
        const QJsonObject property = it.value().toObject();
        QJsonValue type = property.value(QStringLiteral("type"));
        if (type.isArray()) {
            for (const QJsonValue &t : type.toArray()) {
                if (t.toString() != QLatin1String("null")) {
                    type = t;
                    break;
                }
            }
        }
        if (!isIndexable(type.toString()))
            continue;
        auto *item = new QListWidgetItem(m_indexes);
        item->setData(Qt::UserRole, it.key());
        if (property.value(QStringLiteral("index")).toBool()) {
            item->setFlags(item->flags() & ~Qt::ItemIsUserCheckable);
            item->setCheckState(Qt::Checked);
            item->setToolTip(tr("\"index\": true in the schema"));
        } else {
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            item->setCheckState(declared.contains(it.key()) ? Qt::Checked : Qt::Unchecked);
        }
        QString text = it.key();
        const QJsonObject build = m_builds.value(it.key()).toObject();
        const QString state = build.value(QStringLiteral("state")).toString();
        if (state == QLatin1String("building")) {
            const QJsonValue progress = build.value(QStringLiteral("progress"));
            text += progress.isDouble() ? tr("  (building %1%)").arg(int(std::floor(progress.toDouble() * 100))) : tr("  (building)");
        } else if (!state.isEmpty()) {
            text += tr("  (%1)").arg(state);
        }
        if (state == QLatin1String("failed"))
            item->setToolTip(build.value(QStringLiteral("error")).toString());
        item->setText(text);
    }
}

void CollectionEditorDialog::showBuilds(const QJsonArray &builds)
{
    bool running = false;
    for (const QJsonValue &v : builds) {
        const QJsonObject build = v.toObject();
        m_builds.insert(build.value(QStringLiteral("field")).toString(), build);
        const QString state = build.value(QStringLiteral("state")).toString();
        running = running || state == QLatin1String("building") || state == QLatin1String("queued");
    }
    // While a build runs, its progress is asked for every second.
    if (running && m_mode == Mode::Edit)
        m_buildPoll->start();
}

void CollectionEditorDialog::pollBuilds()
{
    m_client->adminGet("/admin/collections/" + EngineClient::encode(name()), this, [this](const ClientReply &reply) {
        if (!reply.isSuccess())
            return;
        showBuilds(reply.object().value(QStringLiteral("index_builds")).toArray());
        check();
    });
}

bool CollectionEditorDialog::canSave() const
{
    return !m_saving && m_problems.isEmpty();
}

void CollectionEditorDialog::save()
{
    if (!canSave())
        return;
    const QJsonObject body = collectionJson();
    const QString collection = name();
    m_saving = true;
    m_save->setEnabled(false);
    m_serverError->hide();
    m_client->admin(QByteArrayLiteral("PUT"), "/admin/collections/" + EngineClient::encode(collection),
                    QJsonDocument(body).toJson(QJsonDocument::Compact), this, [this, collection](const ClientReply &reply) {
        m_saving = false;
        check();
        if (!reply.isSuccess()) {
            m_serverError->setText(tr("The engine refused the collection:\n%1").arg(reply.errorText()));
            m_serverError->show();
            return;
        }
        Q_EMIT saved(collection);
        accept();
    });
}

} // namespace Gatehouse::Ui
