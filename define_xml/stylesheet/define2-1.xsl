<?xml version="1.0" encoding="UTF-8"?>
<!--
  cdisc-map's own rendering of a Define-XML 2.1 document as one HTML page.

  Written for this project (it is not derived from the CDISC sample stylesheet).
  XSLT 1.0, so that browsers (which only run 1.0) and lxml can both apply it.
  The page has a table of contents, the study and its standards, the documents, a
  summary of the datasets, one table per dataset, the value-level metadata, the
  codelists, the methods, the comments and the analysis results (ARM 1.0); every
  reference is a link, and every target links back to what uses it ("Used by"), so a
  reviewer can go from a variable to its codelist, method, comment, value-level
  metadata or predecessor and back. The page needs no script and loads nothing.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:odm="http://www.cdisc.org/ns/odm/v1.3"
    xmlns:def="http://www.cdisc.org/ns/def/v2.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:arm="http://www.cdisc.org/ns/arm/v1.0"
    exclude-result-prefixes="odm def xlink arm">

  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:key name="item" match="odm:ItemDef" use="@OID"/>
  <xsl:key name="codelist" match="odm:CodeList" use="@OID"/>
  <xsl:key name="method" match="odm:MethodDef" use="@OID"/>
  <xsl:key name="comment" match="def:CommentDef" use="@OID"/>
  <xsl:key name="leaf" match="def:leaf" use="@ID"/>
  <xsl:key name="where" match="def:WhereClauseDef" use="@OID"/>
  <xsl:key name="standard" match="def:Standard" use="@OID"/>
  <xsl:key name="item-by-valuelist" match="odm:ItemDef" use="def:ValueListRef/@ValueListOID"/>
  <xsl:key name="group-by-item" match="odm:ItemGroupDef" use="odm:ItemRef/@ItemOID"/>
  <xsl:key name="refs-by-item" match="odm:ItemRef" use="@ItemOID"/>
  <xsl:key name="refs-by-method" match="odm:ItemRef" use="@MethodOID"/>
  <xsl:key name="items-by-codelist" match="odm:ItemDef" use="odm:CodeListRef/@CodeListOID"/>
  <xsl:key name="items-by-comment" match="odm:ItemDef" use="@def:CommentOID"/>
  <xsl:key name="groups-by-comment" match="odm:ItemGroupDef" use="@def:CommentOID"/>
  <xsl:key name="codelists-by-comment" match="odm:CodeList" use="@def:CommentOID"/>
  <xsl:key name="group-by-name" match="odm:ItemGroupDef" use="@Name"/>
  <xsl:key name="copies" match="odm:ItemDef"
           use="def:Origin[@Type = 'Predecessor']/odm:Description/odm:TranslatedText"/>

  <xsl:variable name="study" select="/odm:ODM/odm:Study"/>
  <xsl:variable name="mdv" select="$study/odm:MetaDataVersion"/>

  <!-- ===================================================================== page -->
  <xsl:template match="/">
    <html lang="en">
      <head>
        <meta charset="UTF-8"/>
        <title>
          <xsl:value-of select="$study/odm:GlobalVariables/odm:StudyName"/>
          <xsl:text>: </xsl:text>
          <xsl:value-of select="$mdv/@Name"/>
        </title>
        <style>
          body { margin: 0; font: 14px/1.45 system-ui, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2433; }
          nav#toc { position: fixed; top: 0; bottom: 0; left: 0; width: 15rem; overflow-y: auto;
                    background: #f1f4f9; border-right: 1px solid #d5dbe5; padding: 1rem; box-sizing: border-box; }
          nav#toc h2 { font-size: 1rem; margin: 0 0 .5rem; }
          nav#toc ul { list-style: none; padding-left: .8rem; margin: .2rem 0; }
          nav#toc > ul { padding-left: 0; }
          main { margin-left: 15rem; padding: 1rem 2rem 4rem; }
          h1 { font-size: 1.6rem; margin: .2rem 0 .4rem; }
          h2 { font-size: 1.3rem; border-bottom: 2px solid #2b5797; padding-bottom: .2rem; margin-top: 2.5rem; }
          h3 { font-size: 1.1rem; margin-top: 1.8rem; }
          a { color: #1f4f9c; }
          table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
          th, td { border: 1px solid #ccd3de; padding: .25rem .45rem; text-align: left; vertical-align: top; }
          th { background: #e3e9f3; }
          tbody tr:nth-child(even) { background: #f8f9fc; }
          dl.facts { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; }
          dl.facts dt { font-weight: 600; }
          dl.facts dd { margin: 0; }
          .code { font-family: ui-monospace, Menlo, Consolas, monospace; }
          .muted { color: #5a6477; }
          .extended { color: #9c3d1f; font-weight: 600; }
          .back, .used-by { font-size: .85rem; }
          .used-by { color: #5a6477; margin-top: .2rem; }
          pre.code { white-space: pre-wrap; background: #f4f6fa; padding: .4rem .6rem; margin: .3rem 0; }
          :target { outline: 3px solid #f0b429; outline-offset: 1px; }
          @media print { nav#toc { display: none; } main { margin-left: 0; } }
        </style>
      </head>
      <body>
        <xsl:call-template name="toc"/>
        <main>
          <xsl:call-template name="study"/>
          <xsl:call-template name="documents"/>
          <xsl:call-template name="dataset-summary"/>
          <xsl:apply-templates select="$mdv/odm:ItemGroupDef"/>
          <xsl:call-template name="value-level"/>
          <xsl:call-template name="codelists"/>
          <xsl:call-template name="methods"/>
          <xsl:call-template name="comments"/>
          <xsl:call-template name="results"/>
        </main>
      </body>
    </html>
  </xsl:template>

  <!-- ====================================================================== toc -->
  <xsl:template name="toc">
    <nav id="toc">
      <h2>Contents</h2>
      <ul>
        <li><a href="#study">Study</a></li>
        <xsl:if test="$mdv/def:AnnotatedCRF | $mdv/def:SupplementalDoc">
          <li><a href="#documents">Documents</a></li>
        </xsl:if>
        <li>
          <a href="#datasets">Datasets</a>
          <ul>
            <xsl:for-each select="$mdv/odm:ItemGroupDef">
              <li>
                <a href="#{@OID}"><xsl:value-of select="@Name"/></a>
                <span class="muted"><xsl:text> </xsl:text><xsl:value-of select="odm:Description/odm:TranslatedText[1]"/></span>
              </li>
            </xsl:for-each>
          </ul>
        </li>
        <xsl:if test="$mdv/def:ValueListDef">
          <li><a href="#value-level">Value-level metadata</a></li>
        </xsl:if>
        <xsl:if test="$mdv/odm:CodeList">
          <li><a href="#codelists">Codelists</a></li>
        </xsl:if>
        <xsl:if test="$mdv/odm:MethodDef">
          <li><a href="#methods">Methods</a></li>
        </xsl:if>
        <xsl:if test="$mdv/def:CommentDef">
          <li><a href="#comments">Comments</a></li>
        </xsl:if>
        <xsl:if test="$mdv/arm:AnalysisResultDisplays">
          <li>
            <a href="#analysis-results">Analysis results</a>
            <ul>
              <xsl:for-each select="$mdv/arm:AnalysisResultDisplays/arm:ResultDisplay">
                <li><a href="#{@OID}"><xsl:value-of select="@Name"/></a></li>
              </xsl:for-each>
            </ul>
          </li>
        </xsl:if>
      </ul>
    </nav>
  </xsl:template>

  <!-- ==================================================================== study -->
  <xsl:template name="study">
    <section id="study">
      <h1><xsl:value-of select="$study/odm:GlobalVariables/odm:StudyName"/></h1>
      <p><xsl:value-of select="$study/odm:GlobalVariables/odm:StudyDescription"/></p>
      <dl class="facts">
        <dt>Protocol</dt><dd><xsl:value-of select="$study/odm:GlobalVariables/odm:ProtocolName"/></dd>
        <dt>Metadata version</dt>
        <dd>
          <xsl:value-of select="$mdv/@Name"/>
          <xsl:if test="$mdv/@Description">
            <xsl:text>: </xsl:text><xsl:value-of select="$mdv/@Description"/>
          </xsl:if>
        </dd>
        <dt>Define-XML version</dt><dd><xsl:value-of select="$mdv/@def:DefineVersion"/></dd>
        <dt>Created</dt><dd><xsl:value-of select="/odm:ODM/@CreationDateTime"/></dd>
        <xsl:if test="/odm:ODM/@Originator">
          <dt>Originator</dt><dd><xsl:value-of select="/odm:ODM/@Originator"/></dd>
        </xsl:if>
        <xsl:if test="/odm:ODM/@SourceSystem">
          <dt>Source system</dt>
          <dd><xsl:value-of select="/odm:ODM/@SourceSystem"/><xsl:text> </xsl:text><xsl:value-of select="/odm:ODM/@SourceSystemVersion"/></dd>
        </xsl:if>
        <xsl:if test="$mdv/@def:CommentOID">
          <dt>Comment</dt><dd><xsl:call-template name="comment-text"><xsl:with-param name="oid" select="$mdv/@def:CommentOID"/></xsl:call-template></dd>
        </xsl:if>
      </dl>
      <xsl:if test="$mdv/def:Standards">
        <h3 id="standards">Standards</h3>
        <table class="standards">
          <thead><tr><th>Standard</th><th>Type</th><th>Publishing set</th><th>Version</th><th>Status</th></tr></thead>
          <tbody>
            <xsl:for-each select="$mdv/def:Standards/def:Standard">
              <tr id="{@OID}">
                <td><xsl:value-of select="@Name"/></td>
                <td><xsl:value-of select="@Type"/></td>
                <td><xsl:value-of select="@PublishingSet"/></td>
                <td><xsl:value-of select="@Version"/></td>
                <td><xsl:value-of select="@Status"/></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </xsl:if>
    </section>
  </xsl:template>

  <!-- ================================================================ documents -->
  <xsl:template name="documents">
    <xsl:if test="$mdv/def:AnnotatedCRF | $mdv/def:SupplementalDoc">
      <section id="documents">
        <h2>Documents</h2>
        <ul>
          <xsl:for-each select="$mdv/def:AnnotatedCRF/def:DocumentRef">
            <li>Annotated CRF: <xsl:apply-templates select="."/></li>
          </xsl:for-each>
          <xsl:for-each select="$mdv/def:SupplementalDoc/def:DocumentRef">
            <li>Supplemental document: <xsl:apply-templates select="."/></li>
          </xsl:for-each>
        </ul>
      </section>
    </xsl:if>
  </xsl:template>

  <!-- A link to a document, then to each page it names. -->
  <xsl:template match="def:DocumentRef">
    <xsl:variable name="leaf" select="key('leaf', @leafID)"/>
    <a class="document" href="{$leaf/@xlink:href}"><xsl:value-of select="$leaf/def:title"/></a>
    <xsl:for-each select="def:PDFPageRef">
      <xsl:text> </xsl:text>
      <xsl:if test="@Title"><xsl:value-of select="@Title"/><xsl:text> </xsl:text></xsl:if>
      <xsl:choose>
        <xsl:when test="@Type = 'NamedDestination'">
          <a href="{$leaf/@xlink:href}#{@PageRefs}"><xsl:value-of select="@PageRefs"/></a>
        </xsl:when>
        <xsl:when test="@PageRefs">
          <xsl:text>page </xsl:text>
          <xsl:call-template name="page-links">
            <xsl:with-param name="href" select="$leaf/@xlink:href"/>
            <xsl:with-param name="pages" select="normalize-space(@PageRefs)"/>
          </xsl:call-template>
        </xsl:when>
        <xsl:when test="@FirstPage">
          <xsl:text>pages </xsl:text>
          <a href="{$leaf/@xlink:href}#page={@FirstPage}"><xsl:value-of select="@FirstPage"/></a>
          <xsl:text>-</xsl:text>
          <a href="{$leaf/@xlink:href}#page={@LastPage}"><xsl:value-of select="@LastPage"/></a>
        </xsl:when>
      </xsl:choose>
    </xsl:for-each>
  </xsl:template>

  <!-- "3 7 12" becomes three links; XSLT 1.0 has no tokenize(), so recurse. -->
  <xsl:template name="page-links">
    <xsl:param name="href"/>
    <xsl:param name="pages"/>
    <xsl:variable name="first">
      <xsl:choose>
        <xsl:when test="contains($pages, ' ')"><xsl:value-of select="substring-before($pages, ' ')"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$pages"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <a href="{$href}#page={$first}"><xsl:value-of select="$first"/></a>
    <xsl:if test="contains($pages, ' ')">
      <xsl:text>, </xsl:text>
      <xsl:call-template name="page-links">
        <xsl:with-param name="href" select="$href"/>
        <xsl:with-param name="pages" select="substring-after($pages, ' ')"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- ========================================================= dataset summary -->
  <xsl:template name="dataset-summary">
    <section id="datasets">
      <h2>Datasets</h2>
      <table class="datasets">
        <thead>
          <tr><th>Dataset</th><th>Description</th><th>Class</th><th>Structure</th><th>Purpose</th><th>Keys</th><th>Location</th></tr>
        </thead>
        <tbody>
          <xsl:for-each select="$mdv/odm:ItemGroupDef">
            <tr>
              <td><a href="#{@OID}"><xsl:value-of select="@Name"/></a></td>
              <td><xsl:value-of select="odm:Description/odm:TranslatedText[1]"/></td>
              <td><xsl:call-template name="class"/></td>
              <td><xsl:value-of select="@def:Structure"/></td>
              <td><xsl:value-of select="@Purpose"/></td>
              <td class="code"><xsl:call-template name="keys"/></td>
              <td><xsl:apply-templates select="def:leaf"/></td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </section>
  </xsl:template>

  <xsl:template name="class">
    <xsl:value-of select="def:Class/@Name"/>
    <xsl:for-each select="def:Class/def:SubClass">
      <xsl:text> / </xsl:text><xsl:value-of select="@Name"/>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="keys">
    <xsl:for-each select="odm:ItemRef[@KeySequence]">
      <xsl:sort select="@KeySequence" data-type="number"/>
      <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
      <xsl:value-of select="key('item', @ItemOID)/@Name"/>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="def:leaf">
    <a class="xpt" href="{@xlink:href}"><xsl:value-of select="def:title"/></a>
  </xsl:template>

  <!-- ================================================================= datasets -->
  <xsl:template match="odm:ItemGroupDef">
    <section class="dataset" id="{@OID}" data-name="{@Name}">
      <h2>
        <xsl:value-of select="@Name"/>
        <xsl:text> (</xsl:text><xsl:value-of select="odm:Description/odm:TranslatedText[1]"/><xsl:text>)</xsl:text>
      </h2>
      <dl class="facts">
        <dt>Location</dt><dd><xsl:apply-templates select="def:leaf"/></dd>
        <dt>Class</dt><dd><xsl:call-template name="class"/></dd>
        <dt>Structure</dt><dd><xsl:value-of select="@def:Structure"/></dd>
        <dt>Keys</dt><dd class="code"><xsl:call-template name="keys"/></dd>
        <xsl:if test="@def:StandardOID">
          <dt>Standard</dt>
          <dd>
            <xsl:variable name="standard" select="key('standard', @def:StandardOID)"/>
            <a href="#standards"><xsl:value-of select="$standard/@Name"/><xsl:text> </xsl:text><xsl:value-of select="$standard/@Version"/></a>
          </dd>
        </xsl:if>
        <xsl:if test="@def:CommentOID">
          <dt>Comment</dt><dd><xsl:call-template name="comment-text"><xsl:with-param name="oid" select="@def:CommentOID"/></xsl:call-template></dd>
        </xsl:if>
      </dl>
      <table class="variables">
        <thead>
          <tr><th>Variable</th><th>Label</th><th>Key</th><th>Type</th><th>Length</th><th>Controlled terms or format</th><th>Origin</th><th>Derivation / comment</th></tr>
        </thead>
        <tbody>
          <xsl:for-each select="odm:ItemRef">
            <xsl:sort select="@OrderNumber" data-type="number"/>
            <xsl:variable name="item" select="key('item', @ItemOID)"/>
            <tr>
              <xsl:attribute name="id"><xsl:call-template name="row-id"/></xsl:attribute>
              <td class="code"><xsl:value-of select="$item/@Name"/></td>
              <td><xsl:value-of select="$item/odm:Description/odm:TranslatedText[1]"/></td>
              <td><xsl:value-of select="@KeySequence"/></td>
              <xsl:call-template name="item-cells"><xsl:with-param name="item" select="$item"/></xsl:call-template>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
      <p class="back"><a href="#datasets">Back to the datasets</a></p>
    </section>
  </xsl:template>

  <!-- The HTML id of the row of an ItemRef (the context): its ItemOID, qualified by the OID
       of its dataset or value list when more than one of them uses the ItemDef. -->
  <xsl:template name="row-id">
    <xsl:choose>
      <xsl:when test="count(key('refs-by-item', @ItemOID)) &gt; 1">
        <xsl:value-of select="concat(../@OID, '.', @ItemOID)"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="@ItemOID"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A link to the row of an ItemRef (the context), named DATASET.VARIABLE (and its where clause). -->
  <xsl:template name="row-link">
    <xsl:variable name="id"><xsl:call-template name="row-id"/></xsl:variable>
    <a class="used-by-link" href="#{$id}">
      <xsl:choose>
        <xsl:when test="parent::odm:ItemGroupDef">
          <xsl:value-of select="concat(../@Name, '.', key('item', @ItemOID)/@Name)"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:for-each select="key('group-by-item', key('item-by-valuelist', ../@OID)/@OID)[1]">
            <xsl:value-of select="concat(@Name, '.')"/>
          </xsl:for-each>
          <xsl:value-of select="key('item', @ItemOID)/@Name"/>
          <xsl:for-each select="def:WhereClauseRef[1]">
            <xsl:text> (</xsl:text><xsl:apply-templates select="key('where', @WhereClauseOID)" mode="plain"/><xsl:text>)</xsl:text>
          </xsl:for-each>
        </xsl:otherwise>
      </xsl:choose>
    </a>
  </xsl:template>

  <!-- "Used by: AE.AESTDY, AE.AEENDY" for a set of ItemRefs. -->
  <xsl:template name="used-by">
    <xsl:param name="refs"/>
    <xsl:param name="also" select="/.."/>
    <xsl:if test="$refs | $also">
      <div class="used-by">
        <xsl:text>Used by: </xsl:text>
        <xsl:for-each select="$also">
          <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
          <a class="used-by-link" href="#{@OID}"><xsl:value-of select="@Name"/></a>
        </xsl:for-each>
        <xsl:if test="$also and $refs"><xsl:text>, </xsl:text></xsl:if>
        <xsl:for-each select="$refs">
          <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
          <xsl:call-template name="row-link"/>
        </xsl:for-each>
      </div>
    </xsl:if>
  </xsl:template>

  <!-- Type, length, terms, origin and derivation cells of one ItemRef (the context). -->
  <xsl:template name="item-cells">
    <xsl:param name="item"/>
    <td><xsl:value-of select="$item/@DataType"/></td>
    <td>
      <xsl:value-of select="$item/@Length"/>
      <xsl:if test="$item/@SignificantDigits">
        <xsl:text> (</xsl:text><xsl:value-of select="$item/@SignificantDigits"/><xsl:text> decimals)</xsl:text>
      </xsl:if>
    </td>
    <td>
      <xsl:if test="$item/odm:CodeListRef">
        <xsl:variable name="codelist" select="key('codelist', $item/odm:CodeListRef/@CodeListOID)"/>
        <a class="codelist" href="#{$codelist/@OID}"><xsl:value-of select="$codelist/@Name"/></a>
        <br/>
      </xsl:if>
      <xsl:if test="$item/@def:DisplayFormat">
        <span class="code"><xsl:value-of select="$item/@def:DisplayFormat"/></span>
        <br/>
      </xsl:if>
      <xsl:if test="$item/def:ValueListRef">
        <a class="value-list" href="#{$item/def:ValueListRef/@ValueListOID}">Value-level metadata</a>
      </xsl:if>
    </td>
    <td class="origin">
      <xsl:for-each select="$item/def:Origin">
        <xsl:value-of select="@Type"/>
        <xsl:if test="@Source"><xsl:text> (</xsl:text><xsl:value-of select="@Source"/><xsl:text>)</xsl:text></xsl:if>
        <xsl:if test="odm:Description">
          <xsl:text>: </xsl:text>
          <xsl:call-template name="origin-description">
            <xsl:with-param name="text" select="string(odm:Description/odm:TranslatedText[1])"/>
          </xsl:call-template>
        </xsl:if>
        <xsl:for-each select="def:DocumentRef">
          <br/><xsl:apply-templates select="."/>
        </xsl:for-each>
      </xsl:for-each>
      <xsl:if test="parent::odm:ItemGroupDef">
        <xsl:variable name="copies" select="key('copies', concat(../@Name, '.', $item/@Name))"/>
        <xsl:if test="$copies">
          <div class="used-by">
            <xsl:text>Copied to: </xsl:text>
            <xsl:for-each select="key('refs-by-item', $copies/@OID)[parent::odm:ItemGroupDef]">
              <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
              <xsl:call-template name="row-link"/>
            </xsl:for-each>
          </div>
        </xsl:if>
      </xsl:if>
    </td>
    <td>
      <xsl:if test="@MethodOID">
        <xsl:variable name="method" select="key('method', @MethodOID)"/>
        <a class="method" href="#{@MethodOID}"><xsl:value-of select="$method/@Name"/></a>
        <xsl:text>: </xsl:text>
        <xsl:value-of select="$method/odm:Description/odm:TranslatedText[1]"/>
      </xsl:if>
      <xsl:if test="@MethodOID and $item/@def:CommentOID"><br/></xsl:if>
      <xsl:if test="$item/@def:CommentOID">
        <xsl:call-template name="comment-text"><xsl:with-param name="oid" select="$item/@def:CommentOID"/></xsl:call-template>
      </xsl:if>
    </td>
  </xsl:template>

  <!-- An origin's description; a predecessor this define describes ("ADSL.AGE") is a link to it. -->
  <xsl:template name="origin-description">
    <xsl:param name="text"/>
    <xsl:variable name="dataset" select="substring-before($text, '.')"/>
    <xsl:variable name="variable" select="substring-after($text, '.')"/>
    <xsl:variable name="source"
                  select="key('group-by-name', $dataset)/odm:ItemRef[key('item', @ItemOID)/@Name = $variable]"/>
    <xsl:choose>
      <xsl:when test="@Type = 'Predecessor' and $source">
        <xsl:for-each select="$source[1]">
          <xsl:variable name="id"><xsl:call-template name="row-id"/></xsl:variable>
          <a class="predecessor" href="#{$id}"><xsl:value-of select="$text"/></a>
        </xsl:for-each>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="comment-text">
    <xsl:param name="oid"/>
    <xsl:variable name="comment" select="key('comment', $oid)"/>
    <a class="comment" href="#{$oid}"><xsl:value-of select="$comment/odm:Description/odm:TranslatedText[1]"/></a>
    <xsl:for-each select="$comment/def:DocumentRef">
      <xsl:text> </xsl:text><xsl:apply-templates select="."/>
    </xsl:for-each>
  </xsl:template>

  <!-- ====================================================== value-level metadata -->
  <xsl:template name="value-level">
    <xsl:if test="$mdv/def:ValueListDef">
      <section id="value-level">
        <h2>Value-level metadata</h2>
        <xsl:for-each select="$mdv/def:ValueListDef">
          <xsl:variable name="parent" select="key('item-by-valuelist', @OID)"/>
          <h3 id="{@OID}" class="value-list">
            <xsl:text>Value-level metadata of </xsl:text>
            <xsl:for-each select="key('refs-by-item', $parent/@OID)">
              <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
              <xsl:call-template name="row-link"/>
            </xsl:for-each>
          </h3>
          <xsl:if test="odm:Description">
            <p><xsl:value-of select="odm:Description/odm:TranslatedText[1]"/></p>
          </xsl:if>
          <table class="value-list">
            <thead>
              <tr><th>Where</th><th>Variable</th><th>Label</th><th>Type</th><th>Length</th><th>Controlled terms or format</th><th>Origin</th><th>Derivation / comment</th></tr>
            </thead>
            <tbody>
              <xsl:for-each select="odm:ItemRef">
                <xsl:sort select="@OrderNumber" data-type="number"/>
                <xsl:variable name="item" select="key('item', @ItemOID)"/>
                <tr>
                  <xsl:attribute name="id"><xsl:call-template name="row-id"/></xsl:attribute>
                  <td class="where">
                    <xsl:for-each select="def:WhereClauseRef">
                      <xsl:if test="position() &gt; 1"><br/><xsl:text>or </xsl:text></xsl:if>
                      <xsl:apply-templates select="key('where', @WhereClauseOID)"/>
                    </xsl:for-each>
                  </td>
                  <td class="code"><xsl:value-of select="$item/@Name"/></td>
                  <td><xsl:value-of select="$item/odm:Description/odm:TranslatedText[1]"/></td>
                  <xsl:call-template name="item-cells"><xsl:with-param name="item" select="$item"/></xsl:call-template>
                </tr>
              </xsl:for-each>
            </tbody>
          </table>
        </xsl:for-each>
      </section>
    </xsl:if>
  </xsl:template>

  <!-- The same in words only, for link texts. -->
  <xsl:template match="def:WhereClauseDef" mode="plain">
    <xsl:for-each select="odm:RangeCheck">
      <xsl:if test="position() &gt; 1"><xsl:text> and </xsl:text></xsl:if>
      <xsl:value-of select="key('item', @def:ItemOID)/@Name"/>
      <xsl:text> </xsl:text><xsl:value-of select="@Comparator"/><xsl:text> </xsl:text>
      <xsl:for-each select="odm:CheckValue">
        <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
        <xsl:value-of select="."/>
      </xsl:for-each>
    </xsl:for-each>
  </xsl:template>

  <!-- "RSTESTCD EQ OVRLRESP and RSEVAL IN (INVESTIGATOR, SPONSOR)" -->
  <xsl:template match="def:WhereClauseDef">
    <xsl:for-each select="odm:RangeCheck">
      <xsl:if test="position() &gt; 1"><xsl:text> and </xsl:text></xsl:if>
      <span class="code"><xsl:value-of select="key('item', @def:ItemOID)/@Name"/></span>
      <xsl:text> </xsl:text><xsl:value-of select="@Comparator"/><xsl:text> </xsl:text>
      <xsl:if test="count(odm:CheckValue) &gt; 1"><xsl:text>(</xsl:text></xsl:if>
      <xsl:for-each select="odm:CheckValue">
        <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
        <xsl:value-of select="."/>
      </xsl:for-each>
      <xsl:if test="count(odm:CheckValue) &gt; 1"><xsl:text>)</xsl:text></xsl:if>
    </xsl:for-each>
    <xsl:if test="@def:CommentOID">
      <xsl:text> </xsl:text>
      <xsl:call-template name="comment-text"><xsl:with-param name="oid" select="@def:CommentOID"/></xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================ codelists -->
  <xsl:template name="codelists">
    <xsl:if test="$mdv/odm:CodeList">
      <section id="codelists">
        <h2>Codelists</h2>
        <xsl:for-each select="$mdv/odm:CodeList">
          <section class="codelist" id="{@OID}">
            <h3>
              <xsl:value-of select="@Name"/>
              <xsl:if test="odm:Alias[@Context = 'nci:ExtCodeID']">
                <span class="muted"><xsl:text> [</xsl:text><xsl:value-of select="odm:Alias[@Context = 'nci:ExtCodeID']/@Name"/><xsl:text>]</xsl:text></span>
              </xsl:if>
            </h3>
            <p class="muted">
              <xsl:text>Data type </xsl:text><xsl:value-of select="@DataType"/>
              <xsl:if test="@def:StandardOID">
                <xsl:variable name="standard" select="key('standard', @def:StandardOID)"/>
                <xsl:text>; </xsl:text><xsl:value-of select="$standard/@Name"/><xsl:text> </xsl:text><xsl:value-of select="$standard/@Version"/>
              </xsl:if>
              <xsl:if test="@def:CommentOID">
                <xsl:text>; </xsl:text>
                <xsl:call-template name="comment-text"><xsl:with-param name="oid" select="@def:CommentOID"/></xsl:call-template>
              </xsl:if>
            </p>
            <xsl:choose>
              <xsl:when test="odm:ExternalCodeList">
                <p class="dictionary">
                  <xsl:text>External dictionary: </xsl:text>
                  <xsl:value-of select="odm:ExternalCodeList/@Dictionary"/>
                  <xsl:text> </xsl:text><xsl:value-of select="odm:ExternalCodeList/@Version"/>
                  <xsl:if test="odm:ExternalCodeList/@href">
                    <xsl:text> </xsl:text><a href="{odm:ExternalCodeList/@href}"><xsl:value-of select="odm:ExternalCodeList/@href"/></a>
                  </xsl:if>
                </p>
              </xsl:when>
              <xsl:otherwise>
                <table class="terms">
                  <thead><tr><th>Coded value</th><xsl:if test="odm:CodeListItem"><th>Decode</th></xsl:if><th>NCI code</th></tr></thead>
                  <tbody>
                    <xsl:for-each select="odm:CodeListItem | odm:EnumeratedItem">
                      <tr>
                        <td class="code">
                          <xsl:value-of select="@CodedValue"/>
                          <xsl:if test="@def:ExtendedValue = 'Yes'"><span class="extended" title="extended value"> *</span></xsl:if>
                        </td>
                        <xsl:if test="self::odm:CodeListItem"><td><xsl:value-of select="odm:Decode/odm:TranslatedText[1]"/></td></xsl:if>
                        <td class="code"><xsl:value-of select="odm:Alias[@Context = 'nci:ExtCodeID']/@Name"/></td>
                      </tr>
                    </xsl:for-each>
                  </tbody>
                </table>
                <xsl:if test="*[@def:ExtendedValue = 'Yes']">
                  <p class="muted"><span class="extended">*</span> a value the sponsor added to the extensible codelist</p>
                </xsl:if>
              </xsl:otherwise>
            </xsl:choose>
            <xsl:call-template name="used-by">
              <xsl:with-param name="refs" select="key('refs-by-item', key('items-by-codelist', @OID)/@OID)"/>
            </xsl:call-template>
          </section>
        </xsl:for-each>
      </section>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================== methods -->
  <xsl:template name="methods">
    <xsl:if test="$mdv/odm:MethodDef">
      <section id="methods">
        <h2>Methods</h2>
        <table class="methods">
          <thead><tr><th>Method</th><th>Type</th><th>Description</th></tr></thead>
          <tbody>
            <xsl:for-each select="$mdv/odm:MethodDef">
              <tr id="{@OID}">
                <td><xsl:value-of select="@Name"/></td>
                <td><xsl:value-of select="@Type"/></td>
                <td>
                  <xsl:value-of select="odm:Description/odm:TranslatedText[1]"/>
                  <xsl:for-each select="odm:FormalExpression">
                    <pre class="code"><xsl:value-of select="."/></pre>
                  </xsl:for-each>
                  <xsl:for-each select="def:DocumentRef">
                    <br/><xsl:apply-templates select="."/>
                  </xsl:for-each>
                  <xsl:call-template name="used-by">
                    <xsl:with-param name="refs" select="key('refs-by-method', @OID)"/>
                  </xsl:call-template>
                </td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </section>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================= comments -->
  <xsl:template name="comments">
    <xsl:if test="$mdv/def:CommentDef">
      <section id="comments">
        <h2>Comments</h2>
        <table class="comments">
          <thead><tr><th>Comment</th><th>Text</th></tr></thead>
          <tbody>
            <xsl:for-each select="$mdv/def:CommentDef">
              <tr id="{@OID}">
                <td class="code"><xsl:value-of select="@OID"/></td>
                <td>
                  <xsl:value-of select="odm:Description/odm:TranslatedText[1]"/>
                  <xsl:for-each select="def:DocumentRef">
                    <br/><xsl:apply-templates select="."/>
                  </xsl:for-each>
                  <xsl:call-template name="used-by">
                    <xsl:with-param name="refs" select="key('refs-by-item', key('items-by-comment', @OID)/@OID)"/>
                    <xsl:with-param name="also" select="key('groups-by-comment', @OID) | key('codelists-by-comment', @OID)"/>
                  </xsl:call-template>
                </td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </section>
    </xsl:if>
  </xsl:template>

  <!-- ========================================================= analysis results -->
  <xsl:template name="results">
    <xsl:if test="$mdv/arm:AnalysisResultDisplays">
      <section id="analysis-results">
        <h2>Analysis results</h2>
        <xsl:for-each select="$mdv/arm:AnalysisResultDisplays/arm:ResultDisplay">
          <section class="result-display" id="{@OID}">
            <h3><xsl:value-of select="@Name"/><xsl:text>: </xsl:text><xsl:value-of select="odm:Description/odm:TranslatedText[1]"/></h3>
            <xsl:for-each select="def:DocumentRef">
              <p><xsl:apply-templates select="."/></p>
            </xsl:for-each>
            <xsl:for-each select="arm:AnalysisResult">
              <table class="analysis-result" id="{@OID}">
                <tbody>
                  <tr><th>Analysis result</th><td><xsl:value-of select="odm:Description/odm:TranslatedText[1]"/></td></tr>
                  <tr><th>Reason</th><td><xsl:value-of select="@AnalysisReason"/></td></tr>
                  <tr><th>Purpose</th><td><xsl:value-of select="@AnalysisPurpose"/></td></tr>
                  <xsl:if test="@ParameterOID">
                    <tr><th>Parameter</th><td class="code"><xsl:call-template name="item-links"><xsl:with-param name="oid" select="@ParameterOID"/></xsl:call-template></td></tr>
                  </xsl:if>
                  <tr>
                    <th>Datasets</th>
                    <td>
                      <xsl:for-each select="arm:AnalysisDatasets/arm:AnalysisDataset">
                        <xsl:variable name="group" select="$mdv/odm:ItemGroupDef[@OID = current()/@ItemGroupOID]"/>
                        <div class="analysis-dataset">
                          <a class="dataset" href="#{@ItemGroupOID}"><xsl:value-of select="$group/@Name"/></a>
                          <xsl:for-each select="def:WhereClauseRef">
                            <xsl:text> where </xsl:text><xsl:apply-templates select="key('where', @WhereClauseOID)"/>
                          </xsl:for-each>
                          <xsl:if test="arm:AnalysisVariable">
                            <xsl:text>; variables </xsl:text>
                            <xsl:for-each select="arm:AnalysisVariable">
                              <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
                              <xsl:for-each select="$group/odm:ItemRef[@ItemOID = current()/@ItemOID]">
                                <xsl:variable name="id"><xsl:call-template name="row-id"/></xsl:variable>
                                <a class="analysis-variable code" href="#{$id}"><xsl:value-of select="key('item', @ItemOID)/@Name"/></a>
                              </xsl:for-each>
                            </xsl:for-each>
                          </xsl:if>
                        </div>
                      </xsl:for-each>
                      <xsl:if test="arm:AnalysisDatasets/@def:CommentOID">
                        <xsl:call-template name="comment-text"><xsl:with-param name="oid" select="arm:AnalysisDatasets/@def:CommentOID"/></xsl:call-template>
                      </xsl:if>
                    </td>
                  </tr>
                  <xsl:for-each select="arm:Documentation">
                    <tr>
                      <th>Documentation</th>
                      <td>
                        <xsl:value-of select="odm:Description/odm:TranslatedText[1]"/>
                        <xsl:for-each select="def:DocumentRef"><br/><xsl:apply-templates select="."/></xsl:for-each>
                      </td>
                    </tr>
                  </xsl:for-each>
                  <xsl:for-each select="arm:ProgrammingCode">
                    <tr>
                      <th>Programming code</th>
                      <td>
                        <xsl:if test="@Context"><span class="muted"><xsl:value-of select="@Context"/></span></xsl:if>
                        <xsl:for-each select="arm:Code"><pre class="code"><xsl:value-of select="."/></pre></xsl:for-each>
                        <xsl:for-each select="def:DocumentRef"><br/><xsl:apply-templates select="."/></xsl:for-each>
                      </td>
                    </tr>
                  </xsl:for-each>
                </tbody>
              </table>
            </xsl:for-each>
          </section>
        </xsl:for-each>
      </section>
    </xsl:if>
  </xsl:template>

  <!-- Links to the dataset rows of an ItemDef (by OID). -->
  <xsl:template name="item-links">
    <xsl:param name="oid"/>
    <xsl:for-each select="key('refs-by-item', $oid)[parent::odm:ItemGroupDef]">
      <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
      <xsl:call-template name="row-link"/>
    </xsl:for-each>
  </xsl:template>

</xsl:stylesheet>
