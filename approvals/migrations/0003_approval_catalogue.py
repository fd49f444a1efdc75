"""The approval catalogue of domain guide section 5, so that every new database has it.

Frozen here on purpose: later edits are the administrators' (or a later migration's).
"""

from django.db import migrations

WD, DAYS = "working_days", "days"
# code, name, short names, group, agency, default mode, mode for 核准 projects, committable,
# limit, unit, extension, note, before works
CATALOGUE = [
    ("LX01", "项目赋码及备案", "立项|备案|赋码", "land_planning", "行政审批局/发改", "approval", "", False, 1, WD, None, "", True),
    ("LX02", "项目核准", "核准", "land_planning", "行政审批局/发改", "not_applicable", "approval", False, 20, WD, 10, "", True),
    ("LX03", "用地预审与选址意见书", "用地预审|选址意见书", "land_planning", "自然资源局", "approval", "", False, 20, WD, None, "", True),
    ("LX04", "区域评估", "区评", "land_planning", "开发区", "unified", "", False, None, WD, None, "区域评估覆盖环评、能评、地灾、地震、压矿和考古", True),
    ("LX05", "考古调查勘探", "考古", "land_planning", "文物局", "unified", "", False, None, WD, None, "", True),
    ("LX06", "土地出让及出让合同", "土地出让|招拍挂", "land_planning", "自然资源局", "approval", "", False, 30, DAYS, None, "", True),
    ("LX07", "不动产权证", "土地证|不动产证", "land_planning", "不动产登记中心", "approval", "", False, 30, WD, None, "", True),
    ("LX08", "建设用地规划许可证", "用地规划许可", "land_planning", "自然资源局", "approval", "", False, 10, WD, None, "", True),
    ("HP01", "环境影响评价审批", "环评", "parallel", "生态环境局", "approval", "", True, 60, DAYS, None, "报告书60日；报告表30日", True),
    ("HP02", "节能审查", "能评", "parallel", "行政审批局/发改", "commitment", "", True, 15, WD, None, "", True),
    ("HP03", "水土保持方案", "水保", "parallel", "水利局", "commitment", "", True, 10, WD, 10, "", True),
    ("HP04", "防雷装置设计审核", "防雷", "parallel", "气象局", "commitment", "", True, 10, WD, None, "", True),
    ("HP05", "安全条件和安全设施设计审查", "安评", "parallel", "应急管理局", "approval", "", True, 45, DAYS, None, "", True),
    ("GC01", "建设工程规划许可证", "工程规划许可", "works_planning", "自然资源局", "approval", "", False, 10, WD, None, "", True),
    ("SG01", "施工图审查", "图审", "works_permit", "住建局", "commitment", "", True, None, WD, None, "", True),
    ("SG02", "消防设计审查", "消防审查", "works_permit", "住建局", "approval", "", True, 15, WD, None, "", True),
    ("SG03", "建筑工程施工许可证", "施工许可|施工许可证", "works_permit", "住建局", "approval", "", False, 7, DAYS, None, "", True),
    ("JG01", "消防验收", "", "completion", "住建局", "approval", "", False, 15, WD, None, "", False),
    ("JG02", "竣工验收备案", "竣工备案", "completion", "住建局", "approval", "", False, 15, DAYS, None, "", False),
    ("TC01", "排污许可", "排污证", "production", "生态环境局", "approval", "", False, 20, DAYS, None, "", False),
    ("TC02", "节能及环保自主验收", "自主验收", "production", "企业", "commitment", "", True, None, WD, None, "", False),
]


def load(apps, schema_editor):
    ApprovalType = apps.get_model("approvals", "ApprovalType")
    for order, row in enumerate(CATALOGUE, start=1):
        (code, name, short, group, agency, mode, approval_mode, committable,
         limit, unit, extension, note, before_works) = row
        ApprovalType.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "short_names": "\n".join(s for s in short.split("|") if s),
                "group": group, "agency": agency, "default_mode": mode,
                "mode_for_approval_projects": approval_mode, "committable": committable,
                "time_limit": limit, "limit_unit": unit, "extension": extension,
                "limit_note": note, "before_works": before_works, "sort_order": order,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("approvals", "ApprovalType").objects.filter(
        code__in=[row[0] for row in CATALOGUE], items__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_checklist")]
    operations = [migrations.RunPython(load, unload)]
