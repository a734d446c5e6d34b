"""Tickets for demos and load tests, filed and worked through the services so that every invariant holds.

Two uses:
- `ensure_demo_tickets()`: the hand-written demo around the personas of musanada/demo/people.py: tickets at
  every level and in every status, some of them waiting on `teacher`, so that a newcomer sees each screen at
  work;
- `generate_tickets()`: many tickets from the generated staff (musanada/demo/population.py), spread over the
  workflow at random, to fill a database for load tests.
"""

import random
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput
from musanada.demo.population import DEFAULT_SEED, USERNAME_PREFIX
from musanada.notifications.services import notifications_without_email
from musanada.org.models import DESK_ROLES, Category, Membership, OrgUnit, Role, UnitKind
from musanada.tickets import services
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Priority, Status

# category, subject, description: what staff actually write about.
SAMPLE_REQUESTS = [
    (
        "massar-grades",
        "تعذر حفظ نقط فروض المراقبة المستمرة",
        "عند إدخال نقط الفرض الثاني للقسم 2/3 تظهر رسالة خطأ ولا يتم الحفظ. جربت متصفحا آخر دون نتيجة.",
    ),
    (
        "massar-grades",
        "اختفاء النقط بعد المصادقة عليها",
        "أدخلت نقط الأسدس الأول وصادقت عليها، وعند العودة إلى الصفحة وجدت الخانات فارغة لعدد من التلاميذ.",
    ),
    (
        "massar-grades",
        "زر المصادقة على النقط غير مفعل",
        "انتهيت من إدخال جميع النقط لكن زر المصادقة يبقى رماديا، وآخر أجل لتسليم النقط يقترب.",
    ),
    (
        "massar-absences",
        "لا تظهر لائحة التلاميذ لتسجيل الغياب",
        "في تطبيق مدرس لا تظهر لائحة تلاميذ القسم 1/5 عند تسجيل الغياب، مع أن القسم مسند إلي.",
    ),
    (
        "massar-timetables",
        "خطأ في استعمال الزمن في مسار",
        "يظهر في استعمال الزمن الخاص بي قسم لا أدرسه، وتنقص حصتان يوم الأربعاء. المرجو التصحيح.",
    ),
    (
        "massar-timetables",
        "قسم غير موجود في البنية التربوية",
        "أحدث قسم جديد للسنة الأولى إعدادي بعد الدخول المدرسي ولا يظهر في البنية التربوية للمؤسسة على مسار.",
    ),
    (
        "massar-registration",
        "تلميذ منتقل لا يظهر في لائحة الوافدين",
        "تلميذ انتقل إلينا من مديرية أخرى منذ أسبوعين ولم يظهر في لائحة الوافدين، فلا يمكن تسجيله في القسم.",
    ),
    (
        "massar-registration",
        "تصحيح تاريخ ازدياد تلميذ",
        "تاريخ ازدياد التلميذ المسجل في مسار يخالف عقد الازدياد المدلى به من طرف الأسرة. المرجو تصحيحه.",
    ),
    (
        "massar-social",
        "تعذر إدخال لوائح المستفيدين من الدعم الاجتماعي",
        "عند رفع لائحة المستفيدين من مليون محفظة تظهر رسالة تفيد بأن الملف غير مطابق رغم احترام النموذج.",
    ),
    (
        "massar-census",
        "تعذر فتح عملية الإحصاء المدرسي",
        "عملية الإحصاء المدرسي مغلقة بالنسبة لمؤسستنا بينما هي مفتوحة لباقي مؤسسات المديرية.",
    ),
    (
        "massar-apps",
        "لا تصل إشعارات تطبيق مدرس",
        "منذ تحديث تطبيق مدرس على الهاتف لم تعد تصلني أي إشعارات، وأعدت تثبيت التطبيق دون نتيجة.",
    ),
    (
        "accounts-password",
        "نسيت كلمة المرور لحساب مسار",
        "لم أعد أتذكر كلمة المرور لحسابي في مسار، ورابط الاسترجاع يرسل إلى بريد إلكتروني لم أعد أستعمله.",
    ),
    (
        "accounts-2fa",
        "لم يعد يصلني رمز التحقق بخطوتين",
        "غيرت رقم هاتفي ولم يعد يصلني رمز التحقق بخطوتين عند الولوج إلى مسار. المرجو تحيين الرقم.",
    ),
    (
        "accounts",
        "إنشاء حساب مسار لأستاذ جديد",
        "التحق بالمؤسسة أستاذ جديد لمادة الرياضيات بعد الحركة الانتقالية ولا يتوفر بعد على حساب في مسار.",
    ),
    (
        "taalim",
        "تفعيل حساب تعليم taalim.ma",
        "توصلت بالمعرف الخاص بحساب تعليم لكن كلمة المرور المؤقتة لا تعمل عند أول ولوج.",
    ),
    (
        "taalim",
        "تعذر الولوج إلى Teams بحساب تعليم",
        "يتعذر على أساتذة المؤسسة الولوج إلى Teams بحسابات تعليم منذ صباح اليوم: تظهر رسالة حساب معطل.",
    ),
    (
        "masirh",
        "الحركة الانتقالية لا تظهر في ملفي الإداري",
        "استفدت من الحركة الانتقالية الوطنية لكن منظومة مسير ما زالت تعرض تعييني السابق.",
    ),
    (
        "exams",
        "خطأ في لوائح المترشحين للامتحان الموحد المحلي",
        "لائحة المترشحين للامتحان الموحد المحلي لا تضم ثلاثة تلاميذ مسجلين بصفة نظامية في القسم السادس.",
    ),
    (
        "eservices",
        "تعذر تحميل شهادة مدرسية من بوابة الخدمات",
        "أولياء الأمور لا يستطيعون تحميل الشهادة المدرسية من بوابة الخدمات الإلكترونية: تظهر صفحة فارغة.",
    ),
]

ESCALATION_NOTES = [
    "تم التحقق من الحساب وإعادة المحاولة من حاسوب آخر ولم ينجح ذلك.",
    "المشكل يتجاوز صلاحيات المؤسسة ويتطلب تدخل المستوى الأعلى.",
    "نفس المشكل مسجل لدى عدة مؤسسات بالإقليم.",
    "تمت مراجعة الإعدادات المحلية دون نتيجة؛ يرجى التدخل على مستوى المنظومة.",
]
RESOLUTIONS = [
    "تم تصحيح المعطيات في المنظومة، المرجو إعادة المحاولة.",
    "تمت إعادة تعيين كلمة المرور وإرسالها إلى بريدكم المهني.",
    "تم إصلاح الخلل على مستوى الخادم ويعمل كل شيء الآن بشكل عادي.",
    "تم تحيين البنية التربوية للمؤسسة.",
]
INFO_REQUESTS = [
    "المرجو إرسال لقطة شاشة لرسالة الخطأ مع اسم القسم.",
    "المرجو تأكيد رقم التأجير ورقم الهاتف المسجل في الحساب.",
    "هل يتعلق الأمر بجميع الأقسام أم بقسم واحد؟",
]
REPLIES = [
    "توصلنا بطلبكم ونحن بصدد دراسته.",
    "نعمل على المشكل، سنوافيكم بالجديد قريبا.",
]


def _category(code: str, cache: dict) -> Category:
    if code not in cache:
        cache[code] = Category.objects.select_related("owner").get(code=code)
    return cache[code]


# The demo, step by step ------------------------------------------------------------------------------------

# Each demo ticket: requester, unit filed for, category, subject, description, then the steps that bring it
# where it stays: (verb, actor, arguments).
DEMO_TICKETS = [
    # The school desk (head of 01001A) and teacher's own requests.
    (
        "teacher",
        "01001A",
        "massar-absences",
        "لا تظهر لائحة التلاميذ لتسجيل الغياب",
        "في تطبيق مدرس لا تظهر لائحة تلاميذ القسم 1/5 عند محاولة تسجيل الغياب، مع أن القسم مسند إلي.",
        [],
    ),
    (
        "teacher",
        "01001A",
        "massar-timetables",
        "خطأ في استعمال الزمن في مسار",
        "يظهر في استعمال الزمن الخاص بي قسم لا أدرسه، وتنقص حصتان يوم الأربعاء.",
        [
            ("take", "head", {}),
            ("reply", "head", {"body": "راجعت البنية التربوية، سأصحح استعمال الزمن قبل نهاية الأسبوع."}),
        ],
    ),
    (
        "teacher",
        "01001A",
        "massar-grades",
        "تعذر حفظ نقط فروض المراقبة المستمرة",
        "عند إدخال نقط الفرض الثاني للقسم 2/3 تظهر رسالة خطأ ولا يتم الحفظ. جربت متصفحا آخر دون نتيجة.",
        [
            ("take", "head", {}),
            ("request_info", "head", {"body": "المرجو إرسال لقطة شاشة لرسالة الخطأ وتحديد الفرض المعني."}),
        ],
    ),
    (
        "teacher",
        "01001A",
        "accounts-password",
        "نسيت كلمة المرور لحساب مسار",
        "لم أعد أتذكر كلمة المرور لحسابي في مسار، ورابط الاسترجاع يرسل إلى بريد لم أعد أستعمله.",
        [
            (
                "resolve",
                "head",
                {"resolution": "أعدت تعيين كلمة المرور من حساب المؤسسة، ستجدينها في بريدك المهني."},
            ),
        ],
    ),
    (
        "teacher",
        "01001A",
        "taalim",
        "تفعيل حساب تعليم taalim.ma",
        "توصلت بالمعرف الخاص بحساب تعليم لكن كلمة المرور المؤقتة لا تعمل عند أول ولوج.",
        [
            ("resolve", "head", {"resolution": "تم إنشاء كلمة مرور مؤقتة جديدة، غيريها عند أول ولوج."}),
            ("close", "teacher", {}),
            ("rate", "teacher", {"score": 5, "comment": "شكرا على سرعة التدخل."}),
        ],
    ),
    (
        "teacher",
        "01001A",
        "massar-apps",
        "لا تصل إشعارات تطبيق مدرس",
        "منذ تحديث تطبيق مدرس على الهاتف لم تعد تصلني أي إشعارات، وأعدت تثبيت التطبيق دون نتيجة.",
        [
            ("resolve", "head", {"resolution": "فعلي الإشعارات من إعدادات الهاتف ثم أعيدي تسجيل الدخول."}),
            ("reopen", "teacher", {"reason": "الإشعارات مفعلة في الهاتف والمشكل ما زال قائما."}),
        ],
    ),
    (
        "teacher",
        "01001A",
        "massar-grades",
        "اختفاء النقط بعد المصادقة عليها",
        "أدخلت نقط الأسدس الأول وصادقت عليها، وعند العودة وجدت الخانات فارغة لعدد من التلاميذ.",
        [
            ("take", "head", {}),
            (
                "escalate",
                "head",
                {
                    "note": "تحققت من حساب الأستاذة ومن المصادقة، والنقط غير موجودة فعلا.",
                    "priority": Priority.HIGH,
                    "subject": "فقدان نقط مصادق عليها في مسار",
                },
            ),
            ("escalate", "province", {"note": "نفس المشكل لدى مؤسستين أخريين بالمديرية."}),
            (
                "escalate",
                "region",
                {
                    "note": "خلل على مستوى قاعدة المعطيات، يتطلب تدخل المصلحة المركزية.",
                    "priority": Priority.URGENT,
                },
            ),
            ("take", "central", {}),
            ("reply", "central", {"body": "نحن بصدد استرجاع النقط من النسخة الاحتياطية."}),
        ],
    ),
    # The provincial desk MA-01-01: requests filed by the head of 01001A.
    (
        "head",
        "01001A",
        "massar-registration",
        "تلميذ منتقل لا يظهر في لائحة الوافدين",
        "تلميذ انتقل إلى مؤسستنا من مديرية أخرى منذ أسبوعين ولم يظهر بعد في لائحة الوافدين.",
        [],
    ),
    (
        "head",
        "01001A",
        "massar-census",
        "تعذر فتح عملية الإحصاء المدرسي",
        "عملية الإحصاء المدرسي مغلقة بالنسبة لمؤسستنا بينما هي مفتوحة لباقي مؤسسات المديرية.",
        [
            ("take", "province", {}),
            ("reply", "province", {"body": "سنفتح العملية لمؤسستكم خلال اليوم."}),
        ],
    ),
    (
        "head",
        "01001A",
        "massar-timetables",
        "أستاذ منتقل لا يظهر في البنية التربوية",
        "التحق بالمؤسسة أستاذ في إطار الحركة الانتقالية ولا يظهر في لائحة الأطر لإسناد الأقسام إليه.",
        [
            ("request_info", "province", {"body": "المرجو موافاتنا برقم تأجير الأستاذ وتاريخ التحاقه."}),
        ],
    ),
    (
        "head",
        "01001A",
        "accounts",
        "إنشاء حساب مسار لأستاذ جديد",
        "التحق بالمؤسسة أستاذ جديد لمادة الرياضيات ولا يتوفر بعد على حساب في مسار.",
        [
            ("resolve", "province", {"resolution": "تم إنشاء الحساب وإرسال المعرف إلى الأستاذ."}),
        ],
    ),
    (
        "head",
        "01001A",
        "massar-social",
        "تعذر إدخال لوائح المستفيدين من الدعم الاجتماعي",
        "عند رفع لائحة المستفيدين تظهر رسالة تفيد بأن الملف غير مطابق رغم احترام النموذج.",
        [
            (
                "resolve",
                "province",
                {"resolution": "الملف يحتوي على أعمدة زائدة؛ استعملوا النموذج المرفق بالمذكرة."},
            ),
            ("close", "head", {}),
            ("rate", "head", {"score": 4}),
        ],
    ),
    (
        "head2",
        "01002B",
        "massar-timetables",
        "إعداد البنية التربوية للموسم الجديد",
        "لا نستطيع إضافة قسم ثالث للسنة الثانية إعدادي في البنية التربوية.",
        [
            ("escalate", "province", {"note": "الخيار غير متاح على مستوى المديرية."}),
            (
                "return",
                "region",
                {"instructions": "الخيار متاح للمديرية من قائمة البنيات بعد فتح فترة التعديل."},
            ),
        ],
    ),
    # The regional desk MA-01.
    (
        "head",
        "01001A",
        "exams",
        "خطأ في لوائح المترشحين للامتحان الموحد المحلي",
        "لائحة المترشحين للامتحان الموحد المحلي لا تضم ثلاثة تلاميذ مسجلين بصفة نظامية.",
        [
            ("escalate", "province", {"note": "اللوائح تعد على مستوى الأكاديمية."}),
        ],
    ),
    (
        "head",
        "01001A",
        "eservices",
        "تعذر تحميل شهادة مدرسية من بوابة الخدمات",
        "أولياء الأمور لا يستطيعون تحميل الشهادة المدرسية من بوابة الخدمات الإلكترونية.",
        [
            ("escalate", "province", {"note": "المشكل يهم عدة مؤسسات بالمديرية."}),
            ("take", "region", {}),
            ("reply", "region", {"body": "نتواصل مع المصلحة المعنية، سنوافيكم بالجديد."}),
        ],
    ),
    (
        "head",
        "01001A",
        "exams",
        "تصحيح نقطة تلميذ في الامتحان الموحد",
        "نقطة مادة الاجتماعيات لتلميذ في الامتحان الموحد مسجلة خطأ، والمحضر يثبت نقطة مختلفة.",
        [
            ("escalate", "province", {"note": "يتطلب التصحيح صلاحيات الأكاديمية."}),
            ("request_info", "region", {"body": "المرجو إرسال نسخة من محضر التصحيح موقعة."}),
        ],
    ),
    (
        "head",
        "01001A",
        "massar-registration",
        "طلب انتقال تلميذ إلى أكاديمية أخرى",
        "ولي أمر تلميذ يطلب شهادة المغادرة للانتقال إلى أكاديمية أخرى والمنظومة ترفض العملية.",
        [
            ("escalate", "province", {"note": "الانتقال بين الأكاديميات لا يتم على مستوى المديرية."}),
            ("resolve", "region", {"resolution": "تم تفعيل الانتقال، يمكنكم طباعة شهادة المغادرة."}),
        ],
    ),
    (
        "head",
        "01001A",
        "masirh",
        "الحركة الانتقالية لا تظهر في ملف أستاذة",
        "استفادت أستاذة من الحركة الانتقالية لكن منظومة مسير ما زالت تعرض تعيينها السابق.",
        [
            ("escalate", "province", {"note": "تحيين الوضعيات الإدارية من اختصاص الأكاديمية."}),
            ("resolve", "region", {"resolution": "تم تحيين الوضعية الإدارية للأستاذة."}),
            ("close", "head", {}),
        ],
    ),
    # The central services MEN-MASSAR and MEN-ACCOUNTS.
    (
        "head",
        "01001A",
        "taalim",
        "تعذر الولوج إلى Teams بحساب تعليم",
        "يتعذر على أساتذة المؤسسة الولوج إلى Microsoft Teams بحسابات تعليم منذ صباح اليوم.",
        [
            ("escalate", "province", {"note": "نفس المشكل لدى جميع مؤسسات المديرية."}),
            ("escalate", "region", {"note": "الحسابات تدار مركزيا.", "priority": Priority.HIGH}),
        ],
    ),
    (
        "head",
        "01001A",
        "massar-grades",
        "زر المصادقة على النقط غير مفعل",
        "انتهى الأساتذة من إدخال النقط لكن زر المصادقة يبقى غير مفعل، وآخر أجل يقترب.",
        [
            ("escalate", "province", {"note": "تحققنا من فتح فترة الإدخال."}),
            ("escalate", "region", {"note": "المشكل مرتبط بإعدادات المنظومة."}),
            ("request_info", "central", {"body": "هل جميع الأقسام معنية أم السنة السادسة فقط؟"}),
        ],
    ),
    (
        "head",
        "01001A",
        "accounts-2fa",
        "لم يعد يصلني رمز التحقق بخطوتين",
        "غيرت رقم هاتفي ولم يعد يصلني رمز التحقق بخطوتين عند الولوج إلى مسار.",
        [
            ("escalate", "province", {"note": "تحيين رقم الهاتف غير متاح للمديرية."}),
            ("escalate", "region", {"note": "من اختصاص مصلحة الحسابات."}),
            ("resolve", "central2", {"resolution": "تم تحيين رقم الهاتف، سيصلك الرمز عند الولوج المقبل."}),
        ],
    ),
    (
        "head",
        "01001A",
        "massar",
        "بطء شديد في منظومة مسار",
        "الولوج إلى مسار يستغرق عدة دقائق في فترة إدخال النقط.",
        [
            ("escalate", "province", {"note": "البطء عام في المديرية."}),
            ("escalate", "region", {"note": "البطء عام في الجهة."}),
            ("resolve", "central", {"resolution": "تمت إضافة موارد للخوادم خلال فترة إدخال النقط."}),
            ("close", "head", {}),
            ("rate", "head", {"score": 3, "comment": "تم الحل بعد يومين."}),
        ],
    ),
    (
        "head",
        "01001A",
        "massar",
        "حساب تعليم لا يفتح تطبيق مسار",
        "الأساتذة لا يستطيعون الولوج إلى مسار بحسابات تعليم.",
        [
            ("escalate", "province", {"note": "تم التحقق من الحسابات."}),
            ("escalate", "region", {"note": "يتطلب تدخلا مركزيا."}),
            (
                "transfer",
                "central",
                {"to_desk": "MEN-ACCOUNTS", "note": "الأمر يتعلق بحسابات تعليم وليس بمسار."},
            ),
        ],
    ),
    # Another academy: MA-02-01 and its school 02001D, which none of the people above may see.
    (
        "outsider_teacher",
        "02001D",
        "massar-registration",
        "تصحيح تاريخ ازدياد تلميذ",
        "تاريخ ازدياد التلميذ المسجل في مسار يخالف عقد الازدياد المدلى به من طرف الأسرة.",
        [],
    ),
    (
        "outsider_teacher",
        "02001D",
        "accounts-2fa",
        "رمز التحقق بخطوتين لا يصل",
        "لا يصلني رمز التحقق بخطوتين منذ أمس.",
        [
            ("resolve", "outsider_head", {"resolution": "تم تحيين رقم هاتفك في الحساب."}),
        ],
    ),
    (
        "outsider_head",
        "02001D",
        "massar-census",
        "تعذر تأكيد معطيات الإحصاء المدرسي",
        "لا يمكن تأكيد معطيات الإحصاء رغم إدخال جميع الأقسام.",
        [
            ("take", "outsider", {}),
        ],
    ),
    (
        "outsider_head",
        "02001D",
        "massar-grades",
        "أقسام بدون أستاذ في مسك النقط",
        "ثلاثة أقسام تظهر بدون أستاذ عند مسك النقط.",
        [
            ("escalate", "outsider", {"note": "الإسناد صحيح على مستوى المديرية."}),
        ],
    ),
    (
        "outsider_head",
        "02001D",
        "accounts-password",
        "كلمة مرور حساب المؤسسة",
        "انتهت صلاحية كلمة مرور حساب المؤسسة.",
        [
            ("resolve", "outsider", {"resolution": "تمت إعادة التعيين."}),
            ("close", "outsider_head", {}),
        ],
    ),
]


def _step(ticket: Ticket, verb: str, actor, arguments: dict, categories: dict) -> None:
    arguments = dict(arguments)
    if verb == "escalate" and "category" in arguments:
        arguments["category"] = _category(arguments["category"], categories)
    if verb == "transfer":
        arguments["to_desk"] = OrgUnit.objects.get(code=arguments["to_desk"])
    getattr(services, f"ticket_{verb}")(actor, ticket, **arguments)


def demo_tickets_exist() -> bool:
    return Ticket.objects.filter(requester__username="teacher").exists()


@transaction.atomic
@notifications_without_email()
def ensure_demo_tickets() -> int:
    """File and work the demo tickets, once: returns how many were filed (0 when they exist already).

    Needs the demo people (musanada.demo.people.ensure_demo_people)."""
    if demo_tickets_exist():
        return 0
    usernames = {row[0] for row in DEMO_TICKETS} | {
        actor for row in DEMO_TICKETS for _verb, actor, _args in row[5]
    }
    users = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
    categories: dict = {}
    for requester, unit_code, category_code, subject, description, steps in DEMO_TICKETS:
        ticket = services.ticket_file(
            users[requester],
            unit=OrgUnit.objects.get(code=unit_code),
            category=_category(category_code, categories),
            subject=subject,
            description=description,
        )
        for verb, actor, arguments in steps:
            _step(ticket, verb, users[actor], arguments, categories)
    return len(DEMO_TICKETS)


# Random tickets for load tests ---------------------------------------------------------------------------

SCHOOL, PROVINCE, ACADEMY, CENTRAL = "school", "province", "academy", "central"
LEVEL_RANK = {SCHOOL: 0, PROVINCE: 1, ACADEMY: 2, CENTRAL: 3}

# Where a generated ticket ends: (level, status) → weight. Most requests end at the school, as the memo wants.
OUTCOMES = {
    (SCHOOL, Status.NEW): 14,
    (SCHOOL, Status.OPEN): 8,
    (SCHOOL, Status.WAITING): 6,
    (SCHOOL, Status.RESOLVED): 10,
    (SCHOOL, Status.CLOSED): 16,
    (PROVINCE, Status.NEW): 5,
    (PROVINCE, Status.OPEN): 4,
    (PROVINCE, Status.WAITING): 2,
    (PROVINCE, Status.RESOLVED): 4,
    (PROVINCE, Status.CLOSED): 6,
    (ACADEMY, Status.NEW): 3,
    (ACADEMY, Status.OPEN): 2,
    (ACADEMY, Status.WAITING): 1,
    (ACADEMY, Status.RESOLVED): 2,
    (ACADEMY, Status.CLOSED): 3,
    (CENTRAL, Status.NEW): 3,
    (CENTRAL, Status.OPEN): 2,
    (CENTRAL, Status.WAITING): 1,
    (CENTRAL, Status.RESOLVED): 2,
    (CENTRAL, Status.CLOSED): 3,
}
PRIORITIES = {Priority.LOW: 2, Priority.NORMAL: 12, Priority.HIGH: 3, Priority.URGENT: 1}


@dataclass
class TicketReport:
    created: int = 0
    existing: int = 0
    actions: int = 0
    seconds: float = 0.0
    by_outcome: dict = field(default_factory=dict)

    @property
    def per_ticket_ms(self) -> float:
        return 1000 * self.seconds / self.created if self.created else 0.0


def _under(lookup: str, paths) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


@notifications_without_email()
def generate_tickets(count: int, *, seed: int = DEFAULT_SEED, academies=None, progress=None) -> TicketReport:
    """Have generated staff file tickets until `count` generated tickets exist in scope, and walk each one,
    through the services, to an outcome drawn from OUTCOMES. Calls `progress(done, total)` now and then."""
    started = time.monotonic()
    report = TicketReport()
    scope_paths = None
    if academies:
        scope_paths = list(
            OrgUnit.objects.filter(kind=UnitKind.ACADEMY, code__in=academies).values_list("path", flat=True)
        )
    generated = Ticket.objects.filter(requester__username__startswith=USERNAME_PREFIX)
    if scope_paths is not None:
        generated = generated.filter(_under("origin_unit__path", scope_paths))
    report.existing = generated.count()
    wanted = max(0, count - report.existing)
    if not wanted:
        return report
    staff = Membership.objects.filter(
        role=Role.STAFF,
        is_active=True,
        unit__kind=UnitKind.SCHOOL,
        user__username__startswith=USERNAME_PREFIX,
    )
    if scope_paths is not None:
        staff = staff.filter(_under("unit__path", scope_paths))
    staff_ids = list(staff.order_by("id").values_list("id", flat=True))
    if not staff_ids:
        raise InvalidInput(
            _("There are no generated staff to file tickets: generate staff first."),
            code=ErrorCode.NO_GENERATED_STAFF,
        )
    rng = random.Random(f"{seed}:tickets:{report.existing}")
    categories: dict = {}
    agents: dict = {}
    outcomes, outcome_weights = list(OUTCOMES), list(OUTCOMES.values())
    User = get_user_model()

    def agent_of(desk):
        if desk.pk not in agents:
            agents[desk.pk] = list(
                User.objects.filter(
                    memberships__unit=desk,
                    memberships__role__in=DESK_ROLES,
                    memberships__is_active=True,
                    is_active=True,
                ).order_by("id")
            )
        return rng.choice(agents[desk.pk]) if agents[desk.pk] else None

    for done in range(wanted):
        membership = Membership.objects.select_related("user", "unit__parent").get(pk=rng.choice(staff_ids))
        category_code, subject, description = rng.choice(SAMPLE_REQUESTS)
        level, status = rng.choices(outcomes, weights=outcome_weights)[0]
        ticket = services.ticket_file(
            membership.user,
            unit=membership.unit,
            category=_category(category_code, categories),
            subject=subject,
            description=description,
            priority=rng.choices(list(PRIORITIES), weights=list(PRIORITIES.values()))[0],
        )
        report.actions += 1 + _walk(ticket, level, status, membership.user, agent_of, rng)
        key = f"{ticket.desk.level}/{ticket.status}"
        report.by_outcome[key] = report.by_outcome.get(key, 0) + 1
        report.created += 1
        if progress and (done + 1) % 100 == 0:
            progress(done + 1, wanted)
    report.seconds = time.monotonic() - started
    return report


def _walk(ticket: Ticket, level: str, status: str, requester, agent_of, rng) -> int:
    """Bring a freshly filed ticket to `level` and `status`; returns the number of actions taken."""
    actions = 0
    while LEVEL_RANK[ticket.desk.level] < LEVEL_RANK[level]:
        agent = agent_of(ticket.desk)
        if agent is None:
            break
        services.ticket_escalate(agent, ticket, note=rng.choice(ESCALATION_NOTES))
        actions += 1
    agent = agent_of(ticket.desk)
    if agent is None or status == Status.NEW:
        return actions
    if status == Status.OPEN:
        services.ticket_take(agent, ticket)
        services.ticket_reply(agent, ticket, body=rng.choice(REPLIES))
        return actions + 2
    if status == Status.WAITING:
        services.ticket_request_info(agent, ticket, body=rng.choice(INFO_REQUESTS))
        return actions + 1
    services.ticket_resolve(agent, ticket, resolution=rng.choice(RESOLUTIONS))
    actions += 1
    if status == Status.CLOSED:
        services.ticket_close(requester, ticket)
        actions += 1
        if rng.random() < 0.4:
            services.ticket_rate(
                requester, ticket, score=rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 5])[0]
            )
            actions += 1
    return actions
