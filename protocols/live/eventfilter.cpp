#include "eventfilter.h"

#include "store/cloudevent.h"

namespace Gatehouse::Live {

namespace {
// One position of the pattern against one character; advances *p past the pattern element.
// False also for an unterminated set, which SQLite treats as matching nothing.
bool matchOne(const char32_t *&p, const char32_t *end, char32_t c)
{
    if (*p == U'?') {
        ++p;
        return true;
    }
    if (*p != U'[') {
        return *p++ == c;
    }
    const char32_t *q = p + 1;
    bool invert = false;
    if (q < end && *q == U'^') {
        invert = true;
        ++q;
    }
    bool seen = false;
    char32_t prior = 0;
    bool havePrior = false;
    if (q < end && *q == U']') {   // a leading ] is a member
        seen = c == U']';
        prior = U']';
        havePrior = true;
        ++q;
    }
    while (q < end && *q != U']') {
        if (*q == U'-' && havePrior && q + 1 < end && q[1] != U']') {
            seen = seen || (c >= prior && c <= q[1]);
            havePrior = false;
            q += 2;
        } else {
            seen = seen || c == *q;
            prior = *q;
            havePrior = true;
            ++q;
        }
    }
    if (q >= end) {
        p = end;
        return false;
    }
    p = q + 1;
    return seen != invert;
}
} // namespace

bool EventFilter::globMatch(QStringView pattern, QStringView text)
{
    const std::u32string pat = pattern.toString().toStdU32String();
    const std::u32string str = text.toString().toStdU32String();
    const char32_t *p = pat.data(), *pe = p + pat.size();
    const char32_t *s = str.data(), *se = s + str.size();
    const char32_t *starP = nullptr, *starS = nullptr;   // where to resume after the last '*'
    while (s < se) {
        if (p < pe && *p == U'*') {
            while (p < pe && *p == U'*')
                ++p;
            if (p == pe)
                return true;
            starP = p;
            starS = s;
            continue;
        }
        const char32_t *next = p;
        if (p < pe && matchOne(next, pe, *s)) {
            p = next;
            ++s;
            continue;
        }
        if (!starP)
            return false;
        p = starP;
        s = ++starS;
    }
    while (p < pe && *p == U'*')
        ++p;
    return p == pe;
}

bool EventFilter::matchesSubject(const RecordedEvent &event) const
{
    return subject.isEmpty() || globMatch(subject, CloudEvent::subjectOf(event));
}

bool EventFilter::matches(const RecordedEvent &event) const
{
    return (type.isEmpty() || globMatch(type, event.type)) && matchesSubject(event);
}

} // namespace Gatehouse::Live
